-- Per brand, channel, local day (the brand's time zone) and priority: how fast customer
-- messages got their first answer, in business minutes (the brand's service hours) and in
-- calendar minutes, the 50th and 90th percentiles of the answered ones, and how many missed
-- their SLA (an open message too, once its wait passed the target).
with

response_times as (

    select * from {{ ref('int_message_response_times') }}

),

minutes as (

    select
        brand_key,
        channel,
        local_date,
        priority,
        is_answered,
        is_sla_breached,
        business_seconds / 60.0 as business_minutes,
        calendar_seconds / 60.0 as calendar_minutes
    from response_times

),

daily as (

    select
        brand_key,
        channel,
        local_date,
        priority,
        count(*) as messages,
        count(*) filter (where is_answered) as answered,
        count(*) filter (where is_sla_breached) as sla_breached,
        percentile_cont(0.5) within group (order by business_minutes)
        filter (where is_answered) as p50_business,
        percentile_cont(0.9) within group (order by business_minutes)
        filter (where is_answered) as p90_business,
        percentile_cont(0.5) within group (order by calendar_minutes)
        filter (where is_answered) as p50_calendar,
        percentile_cont(0.9) within group (order by calendar_minutes)
        filter (where is_answered) as p90_calendar
    from minutes
    group by brand_key, channel, local_date, priority

)

select
    brand_key,
    channel,
    local_date as message_date,
    priority,
    messages::integer as messages,
    answered::integer as answered,
    sla_breached::integer as sla_breached,
    round(sla_breached::numeric / messages, 4)::numeric(6, 4) as sla_breached_share,
    p50_business::numeric(12, 1) as p50_business_minutes,
    p90_business::numeric(12, 1) as p90_business_minutes,
    p50_calendar::numeric(12, 1) as p50_calendar_minutes,
    p90_calendar::numeric(12, 1) as p90_calendar_minutes
from daily
