{{ config(materialized='ephemeral') }}

-- Each customer message's first response in calendar and in business time (the brand's
-- service hours on that channel, holidays closed: seeds brand_service_hours, brand_holidays),
-- its priority and whether it missed its SLA (seed brand_response_slas). A message not
-- answered yet has waited until the run's as-of time, and has missed its SLA once that wait
-- passes the target. A wait is the difference of two running sums of business seconds over
-- each brand and channel's calendar (exact numerics): the same whatever span the calendar
-- has, as long as it holds both ends.
-- Ephemeral: a CTE of each model that reads it (the live queue, the two incremental marts),
-- computed at that model's as-of time, never kept (a view would keep the as-of time of its
-- own build). Everything after the calendar is row by row, so the reader's filter on the
-- messages (the live queue's open ones, an incremental mart's merged ones) reaches the scan of
-- int_messages_answered; the calendar's span is read from its indexes, not from every message.

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

hours as (

    select * from {{ ref('brand_service_hours') }}

),

holidays as (

    select * from {{ ref('brand_holidays') }}

),

time_zones as (

    {{ brand_time_zones() }}

),

timed as (

    select
        m.message_id,
        m.platform as channel,
        m.brand_key,
        m.occurred_at,
        m.answered_at,
        coalesce(m.answered_at, {{ as_of() }}) as waited_until,
        z.time_zone,
        -- a complaint or a negative message first; praise or a merely positive one last
        case
            when s.intent = 'complaint' or s.sentiment = 'negative' then 'high'
            when s.intent = 'praise' or (s.sentiment = 'positive' and s.intent = 'other')
                then 'low'
            else 'normal'
        end as priority
    from messages as m
    left join sentiment as s on m.message_id = s.message_id
    left join time_zones as z on m.platform = z.channel and m.brand_key = z.brand_key

),

-- each brand and channel's first and last local day: from its first message to the latest of
-- its last message, its last answer and the as-of time, every wait's two ends (index lookups:
-- int_messages_answered's brand, platform and time indexes)
spans as (

    select
        z.brand_key,
        z.channel,
        z.time_zone,
        (e.first_at at time zone z.time_zone)::date as first_day,
        (greatest(e.last_at, e.last_answered_at, {{ as_of() }}) at time zone z.time_zone)::date
            as last_day
    from time_zones as z
    cross join
        lateral (
            select
                min(a.occurred_at) as first_at,
                max(a.occurred_at) as last_at,
                max(a.answered_at) as last_answered_at
            from {{ ref('int_messages_answered') }} as a
            where a.brand_key = z.brand_key and a.platform = z.channel
        ) as e
    where e.first_at is not null

),

-- every local day of each span, with that day's opening as two instants (a local date plus a
-- local time, at the brand's time zone: right on either side of a daylight saving change),
-- holidays closed
days as (

    select
        s.brand_key,
        s.channel,
        d.day::date as local_date,
        (d.day::date + h.opens_at) at time zone s.time_zone as opens,
        (d.day::date + h.closes_at) at time zone s.time_zone as closes
    from spans as s
    cross join
        generate_series(s.first_day::timestamp, s.last_day::timestamp, interval '1 day')
            as d (day)
    left join hours as h
        on
            s.brand_key = h.brand_key
            and s.channel = h.channel
            and extract(isodow from d.day) = h.isodow
            and not exists (
                select 1 from holidays as x
                where x.brand_key = s.brand_key and x.holiday_date = d.day::date
            )

),

-- business seconds of each day, and of all the days before it (whole seconds: opening hours
-- are minutes)
calendar as (

    select
        brand_key,
        channel,
        local_date,
        opens,
        coalesce(extract(epoch from closes - opens), 0)::bigint as day_seconds,
        coalesce(sum(extract(epoch from closes - opens)) over (
            partition by brand_key, channel order by local_date
            rows between unbounded preceding and 1 preceding
        ), 0)::bigint as seconds_before
    from days

),

-- each brand and channel's calendar as arrays by day (from first_day): a message finds its
-- days by subscript. As a join, a planner that expected a few messages (new rows, not in the
-- statistics) compared each message with every day of the calendar (a nested loop: seconds at
-- 10M events). A closed day's opening is a placeholder: its day has no seconds to count.
calendars as (

    select
        brand_key,
        channel,
        min(local_date) as first_day,
        array_agg(seconds_before order by local_date) as seconds_before,
        array_agg(day_seconds order by local_date) as day_seconds,
        array_agg(coalesce(opens, 'epoch'::timestamptz) order by local_date) as opens
    from calendar
    group by brand_key, channel

),

-- each end of the wait on the calendar: the days before it and the seconds since that day's
-- opening (a day outside the calendar: null, counted as no business time)
placed as (

    select
        t.*,
        c.seconds_before[t.start_day - c.first_day + 1] as before_start,
        c.day_seconds[t.start_day - c.first_day + 1] as start_day_seconds,
        coalesce(
            extract(epoch from t.occurred_at - c.opens[t.start_day - c.first_day + 1]), 0
        ) as since_opening_at_start,
        c.seconds_before[t.end_day - c.first_day + 1] as before_end,
        c.day_seconds[t.end_day - c.first_day + 1] as end_day_seconds,
        coalesce(
            extract(epoch from t.waited_until - c.opens[t.end_day - c.first_day + 1]), 0
        ) as since_opening_at_end
    from (
        select
            timed.*,
            (timed.occurred_at at time zone timed.time_zone)::date as start_day,
            (timed.waited_until at time zone timed.time_zone)::date as end_day
        from timed
    ) as t
    left join calendars as c on t.brand_key = c.brand_key and t.channel = c.channel

),

-- business seconds from the calendar's start to each end: the days before, plus the part of
-- that day's opening already gone; the wait is the difference
measured as (

    select
        message_id,
        channel,
        brand_key,
        priority,
        occurred_at,
        answered_at,
        time_zone,
        extract(epoch from waited_until - occurred_at)::bigint as calendar_seconds,
        greatest(0, round(
            before_end + least(greatest(since_opening_at_end, 0), end_day_seconds)
            - before_start - least(greatest(since_opening_at_start, 0), start_day_seconds)
        ))::bigint as business_seconds
    from placed

)

select
    m.message_id,
    m.channel,
    m.brand_key,
    m.priority,
    m.occurred_at,
    {{ local_date('m.occurred_at', 'm.time_zone') }} as local_date,
    m.answered_at,
    m.answered_at is not null as is_answered,
    m.calendar_seconds,
    coalesce(m.business_seconds, 0) as business_seconds,
    s.target_business_minutes * 60 as sla_target_seconds,
    m.business_seconds > s.target_business_minutes * 60 as is_sla_breached
from measured as m
left join slas as s
    on m.brand_key = s.brand_key and m.channel = s.channel and m.priority = s.priority
