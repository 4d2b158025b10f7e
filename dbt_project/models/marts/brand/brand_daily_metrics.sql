-- Per brand and day: fans (page insights), mentions on X, share of voice among the tracked
-- brands, and the sentiment mix of that day's customer messages (all people: an aggregate).
with

brands as (

    select * from {{ ref('brands') }}

),

fans as (

    select
        b.brand_key,
        i.metric_date,
        max(i.metric_value) filter (where i.metric = 'page_fans') as fans,
        max(i.metric_value) filter (where i.metric = 'page_fan_adds') as fan_adds,
        max(i.metric_value) filter (where i.metric = 'page_fan_removes') as fan_removes
    from {{ ref('stg_facebook__page_insights') }} as i
    inner join brands as b on i.page_id = b.facebook_page_id
    group by b.brand_key, i.metric_date

),

messages as (

    select
        m.brand_key,
        (m.occurred_at at time zone 'UTC')::date as metric_date,
        count(*) filter (where m.engagement_type = 'mention') as mentions,
        count(*) as customer_messages,
        count(*) filter (where s.sentiment = 'positive') as positive_messages,
        count(*) filter (where s.sentiment = 'neutral') as neutral_messages,
        count(*) filter (where s.sentiment = 'negative') as negative_messages
    from {{ ref('int_messages_answered') }} as m
    left join {{ ref('int_message_sentiment') }} as s on m.message_id = s.message_id
    group by m.brand_key, (m.occurred_at at time zone 'UTC')::date

),

days as (

    select
        brand_key,
        metric_date
    from fans
    union
    select
        brand_key,
        metric_date
    from messages

),

combined as (

    select
        d.brand_key,
        d.metric_date,
        f.fans,
        f.fan_adds,
        f.fan_removes,
        coalesce(m.mentions, 0) as mentions,
        coalesce(m.customer_messages, 0) as customer_messages,
        coalesce(m.positive_messages, 0) as positive_messages,
        coalesce(m.neutral_messages, 0) as neutral_messages,
        coalesce(m.negative_messages, 0) as negative_messages
    from days as d
    left join fans as f on d.brand_key = f.brand_key and d.metric_date = f.metric_date
    left join messages as m on d.brand_key = m.brand_key and d.metric_date = m.metric_date

)

select
    brand_key,
    metric_date,
    fans,
    fan_adds,
    fan_removes,
    mentions,
    customer_messages,
    positive_messages,
    neutral_messages,
    negative_messages,
    round(
        mentions::numeric / nullif(sum(mentions) over (partition by metric_date), 0), 6
    )::numeric(7, 6) as share_of_voice
from combined
