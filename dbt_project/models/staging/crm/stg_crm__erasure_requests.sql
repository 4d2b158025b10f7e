with

source as (

    {{ latest_versions(source('crm', 'crm_erasure_requests')) }}

),

renamed as (

    select
        -- ids
        natural_key as customer_id,

        -- timestamps (UTC)
        event_at as requested_at

    from source

)

select * from renamed
