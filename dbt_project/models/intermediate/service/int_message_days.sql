{{ config(materialized='table', post_hook=["analyze {{ this }}"]) }}

-- Analyzed once built: brand_response_times_daily and its pre-hook plan their reads on this
-- table in the same run, before autovacuum would have counted its rows.

-- Per brand, channel and local day (the brand's time zone, UTC without service hours): how
-- many customer messages it holds, and when it starts. What the response-time days are
-- measured by (brand_response_times_daily): its pre-hook measures again a day whose count
-- changed (a message deleted upstream or erased), and a run reads the messages of the days
-- it has no rows for by each day's start (the messages' brand, channel and time index), not
-- every message. One pass over the messages a night.

with

time_zones as (

    {{ brand_time_zones() }}

),

located as (

    select
        m.brand_key,
        m.platform as channel,
        coalesce(z.time_zone, 'UTC') as time_zone,
        {{ local_date('m.occurred_at', 'z.time_zone') }} as message_date
    from {{ ref('int_messages_answered') }} as m
    left join time_zones as z on m.platform = z.channel and m.brand_key = z.brand_key

),

days as (

    select
        brand_key,
        channel,
        time_zone,
        message_date,
        count(*) as messages
    from located
    group by brand_key, channel, time_zone, message_date

)

select
    brand_key,
    channel,
    message_date,
    messages::integer as messages,
    message_date::timestamp at time zone time_zone as starts_at
from days
