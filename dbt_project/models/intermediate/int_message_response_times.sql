{{ config(materialized='view') }}

-- Each customer message's first response in calendar and in business time (the brand's
-- service hours on that channel, holidays closed: seeds brand_service_hours, brand_holidays).
-- A message not answered yet has waited until the run's as-of time. A view: computed when read
-- (the marts and the live queue of issue 20 will read it), not on every nightly build.
with

messages as (

    select * from {{ ref('int_messages_answered') }}

),

timed as (

    select
        message_id,
        platform as channel,
        brand_key,
        occurred_at,
        answered_at,
        coalesce(answered_at, {{ as_of() }}) as waited_until
    from messages

)

select
    t.message_id,
    t.channel,
    t.brand_key,
    t.occurred_at,
    t.answered_at,
    extract(epoch from t.waited_until - t.occurred_at)::bigint as calendar_seconds,
    {{ business_seconds('t.occurred_at', 't.waited_until', 't.brand_key', 't.channel') }}
        as business_seconds
from timed as t
