with

source as (

    {{ latest_versions(source('crm', 'crm_identity_decisions')) }}

),

renamed as (

    select
        -- ids
        natural_key as decision_id,
        (payload ->> 'platform') || ':' || (payload ->> 'account_id') as profile_key,
        payload ->> 'customer_id' as customer_id,

        -- the decision and who took it
        payload ->> 'decision' as decision,
        payload ->> 'decided_by' as decided_by,

        -- timestamps (UTC)
        event_at as decided_at

    from source

)

select * from renamed
