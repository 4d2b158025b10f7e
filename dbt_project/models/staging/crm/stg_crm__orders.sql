with

source as (

    {{ latest_versions(source('crm', 'crm_orders')) }}

),

renamed as (

    select
        -- ids
        natural_key as order_id,
        payload ->> 'customer_id' as customer_id,
        payload ->> 'product_id' as product_id,

        -- amounts
        (payload ->> 'amount')::numeric(12, 2) as amount,

        -- timestamps (UTC)
        event_at as ordered_at

    from source

)

select * from renamed
