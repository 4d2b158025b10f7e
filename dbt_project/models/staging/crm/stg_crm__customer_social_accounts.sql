with

source as (

    {{ latest_versions(source('crm', 'crm_customer_social_accounts')) }}

),

renamed as (

    select
        -- ids
        natural_key as customer_account_id,
        payload ->> 'customer_id' as customer_id,
        payload ->> 'platform' as platform,
        payload ->> 'account_id' as account_id,
        lower(payload ->> 'handle') as handle,

        -- where the CRM got it
        payload ->> 'source' as link_source,

        -- timestamps (UTC)
        event_at as linked_at

    from source

)

select * from renamed
