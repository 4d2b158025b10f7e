{{ config(materialized='view') }}

-- Customer messages per brand, channel and 10-minute slot, and how many of them are negative:
-- what the spike alerts compare with the same slots of earlier weeks
-- (include/social_crm/alerts/spikes.py). A view: read by the live DAG's alert step.
with

messages as (

    select * from {{ ref('int_messages_answered') }}

),

sentiment as (

    select * from {{ ref('int_message_sentiment') }}

)

select
    m.brand_key,
    m.platform as channel,
    date_bin(interval '10 minutes', m.occurred_at, timestamptz '2000-01-01 00:00:00+00')
        as slot_start,
    count(*)::integer as messages,
    (count(*) filter (where s.sentiment = 'negative'))::integer as negatives
from messages as m
left join sentiment as s on m.message_id = s.message_id
group by 1, 2, 3
