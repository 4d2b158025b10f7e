with

source as (

    {{ latest_versions(source('crm', 'crm_sentiment_overrides')) }}

),

renamed as (

    select
        -- ids
        natural_key as message_id,

        -- the correction (an empty intent keeps the scorer's) and who made it
        payload ->> 'sentiment' as sentiment,
        payload ->> 'intent' as intent,
        payload ->> 'decided_by' as decided_by,

        -- timestamps (UTC)
        event_at as decided_at,
        extracted_at as landed_at

    from source

)

select * from renamed
