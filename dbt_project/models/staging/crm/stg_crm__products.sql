with

source as (

    {{ latest_versions(source('crm', 'crm_products')) }}

),

renamed as (

    select
        -- ids
        natural_key as product_id,
        payload ->> 'idea_message_id' as idea_message_id,

        -- product
        payload ->> 'name' as product_name,
        (payload ->> 'list_price')::numeric(12, 2) as list_price,

        -- timestamps (UTC)
        event_at as launched_at

    from source

)

select * from renamed
