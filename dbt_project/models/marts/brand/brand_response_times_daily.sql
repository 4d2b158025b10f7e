-- Per brand, channel, local day (the brand's time zone) and priority: how fast customer
-- messages got their first answer, in business minutes (the brand's service hours) and in
-- calendar minutes, the 50th and 90th percentiles of the answered ones, and how many missed
-- their SLA (an open message too, once its wait passed the target).
with

response_times as (

    select * from {{ ref('int_message_response_times') }}

)

select
    brand_key,
    channel,
    local_date as message_date,
    priority,
    count(*)::integer as messages,
    (count(*) filter (where is_answered))::integer as answered,
    (count(*) filter (where is_sla_breached))::integer as sla_breached,
    round(
        (count(*) filter (where is_sla_breached))::numeric / count(*), 4
    )::numeric(6, 4) as sla_breached_share,
    (percentile_cont(0.5) within group (order by business_seconds) filter (where is_answered)
    / 60)::numeric(12, 1) as p50_business_minutes,
    (percentile_cont(0.9) within group (order by business_seconds) filter (where is_answered)
    / 60)::numeric(12, 1) as p90_business_minutes,
    (percentile_cont(0.5) within group (order by calendar_seconds) filter (where is_answered)
    / 60)::numeric(12, 1) as p50_calendar_minutes,
    (percentile_cont(0.9) within group (order by calendar_seconds) filter (where is_answered)
    / 60)::numeric(12, 1) as p90_calendar_minutes
from response_times
group by brand_key, channel, local_date, priority
