with

-- the newest correction of each message by decided_at (event_at), not the one landed last: a
-- delayed export of an older decision does not undo a newer one; on the same decided_at the
-- one landed last wins
source as (

    select * from (
        select distinct on (natural_key) *
        from {{ source('crm', 'crm_sentiment_overrides') }}
        order by natural_key asc, event_at desc nulls last, ingest_seq desc
    ) as newest
    where not is_deleted

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
