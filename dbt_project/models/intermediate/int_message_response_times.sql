{{ config(materialized='view') }}

-- Each customer message's first response in calendar and in business time (the brand's
-- service hours on that channel, holidays closed: seeds brand_service_hours, brand_holidays),
-- its priority and whether it missed its SLA (seed brand_response_slas). A message not
-- answered yet has waited until the run's as-of time, and has missed its SLA once that wait
-- passes the target. A view: computed when read (brand_response_times_daily), not kept.
with

messages as (

    select * from {{ ref('int_messages_answered') }}

),

sentiment as (

    select * from {{ ref('int_message_sentiment') }}

),

slas as (

    select * from {{ ref('brand_response_slas') }}

),

time_zones as (

    select distinct on (brand_key, channel)
        brand_key,
        channel,
        time_zone
    from {{ ref('brand_service_hours') }}
    order by brand_key asc, channel asc, time_zone asc

),

timed as (

    select
        m.message_id,
        m.platform as channel,
        m.brand_key,
        m.occurred_at,
        m.answered_at,
        coalesce(m.answered_at, {{ as_of() }}) as waited_until,
        -- a complaint or a negative message first; praise or a merely positive one last
        case
            when s.intent = 'complaint' or s.sentiment = 'negative' then 'high'
            when s.intent = 'praise' or (s.sentiment = 'positive' and s.intent = 'other')
                then 'low'
            else 'normal'
        end as priority
    from messages as m
    left join sentiment as s on m.message_id = s.message_id

),

measured as (

    select
        t.message_id,
        t.channel,
        t.brand_key,
        t.priority,
        t.occurred_at,
        t.answered_at,
        z.time_zone,
        extract(epoch from t.waited_until - t.occurred_at)::bigint as calendar_seconds,
        {{ business_seconds('t.occurred_at', 't.waited_until', 't.brand_key', 't.channel') }}
            as business_seconds
    from timed as t
    left join time_zones as z on t.brand_key = z.brand_key and t.channel = z.channel

)

select
    m.message_id,
    m.channel,
    m.brand_key,
    m.priority,
    m.occurred_at,
    (m.occurred_at at time zone coalesce(m.time_zone, 'UTC'))::date as local_date,
    m.answered_at,
    m.answered_at is not null as is_answered,
    m.calendar_seconds,
    m.business_seconds,
    s.target_business_minutes * 60 as sla_target_seconds,
    m.business_seconds > s.target_business_minutes * 60 as is_sla_breached
from measured as m
left join slas as s
    on m.brand_key = s.brand_key and m.channel = s.channel and m.priority = s.priority
