{{ config(materialized='table', indexes=[{'columns': ['message_id'], 'unique': True}]) }}

-- The live queue: every customer message of the last queue_max_age_days days the brand has not
-- answered, who wrote it and what they are worth, how long it has waited against its SLA, and
-- its priority_score (README, "Open conversations"):
--   weight of its priority class (queue_weight_high | _normal | _low)
--   + queue_weight_value x the author's social CLV percentile among customers
--   + queue_weight_influence x the author's influence percentile among people
--   + queue_weight_overdue x the share of its SLA target already waited (capped at 2) / 2
-- so a negative complaint from a valuable or influential person comes first. Rebuilt by the
-- live DAG every 10 minutes (and by the nightly). People who opted out or asked to be erased
-- keep their message in the queue (it still needs an answer) but not their person or scores.
with

waiting as (

    select * from {{ ref('int_message_response_times') }}
    where
        not is_answered
        and occurred_at > {{ as_of() }} - interval '{{ var("queue_max_age_days") }} days'

),

messages as (

    select * from {{ ref('int_messages_answered') }}

),

sentiment as (

    select * from {{ ref('int_message_sentiment') }}

),

-- people who opted out or asked to be erased are not profiled here: their message stays in the
-- queue with no person, value, influence or segments. The live DAG rebuilds this queue from
-- people as the last nightly built them, and the exclusions as the CRM's last load says
-- (int_excluded_customers, rebuilt with the queue; the profiles that may be theirs as the last
-- identity step found them): an opt-out leaves the queue before the next nightly completes
people as (

    select p.* from {{ ref('int_people_profiles') }} as p
    where
        not p.is_excluded_from_details
        and not exists (
            select 1 from {{ ref('int_excluded_customers') }} as x
            where x.customer_id = p.customer_id
        )
        and not exists (
            select 1 from {{ ref('int_excluded_profiles') }} as x
            where x.profile_key = p.profile_key
        )

),

comments as (

    select
        comment_id,
        post_id
    from {{ ref('stg_facebook__comments') }}

),

-- an Instagram message's link as Instagram forms it: a media's permalink (a caption mention),
-- or a comment's link under its media's permalink (`c/<comment id>/`, a reply
-- `c/<comment id>/r/<reply id>/`); the media's permalink alone when that is all we have
instagram_links as (

    select
        c.comment_id as message_id,
        rtrim(coalesce(c.media_permalink, m.permalink), '/')
        || '/c/' || coalesce(c.parent_comment_id, c.comment_id) || '/'
        || case when c.parent_comment_id is not null then 'r/' || c.comment_id || '/' else '' end
            as message_url
    from {{ ref('stg_instagram__comments') }} as c
    left join {{ ref('stg_instagram__media') }} as m on c.media_id = m.media_id
    where
        c.comment_id in (
            select w.message_id from waiting as w
            where w.channel = 'instagram'
        )
        and coalesce(c.media_permalink, m.permalink) is not null
    union all
    select
        m.media_id,
        m.permalink
    from {{ ref('stg_instagram__media') }} as m
    where
        m.media_id in (
            select w.message_id from waiting as w
            where w.channel = 'instagram'
        )
        -- a caption mention: of a media read as a mention, or as a tag (both)
        and m.media_source in ('mentions', 'tags')

),

-- percentiles over everyone scored, not over the queue: a message's rank does not depend on
-- who else is waiting
values_ranked as (

    select
        customer_id,
        social_clv,
        percent_rank() over (order by social_clv) as value_percentile
    from {{ ref('customer_lifetime_value') }}

),

influence_ranked as (

    select
        person_id,
        influence,
        percent_rank() over (order by influence) as influence_percentile
    from {{ ref('people') }}

),

segments as (

    select
        person_id,
        string_agg(segment, ', ' order by segment) as segments
    from {{ ref('people_segments') }}
    group by person_id

),

described as (

    select
        w.message_id,
        w.channel,
        w.brand_key,
        m.engagement_type as message_type,
        m.message_text,
        case
            when w.channel = 'x' then 'https://x.com/i/web/status/' || w.message_id
            when w.channel = 'instagram'
                then coalesce(l.message_url, 'https://www.instagram.com/')
            when c.post_id is not null
                then 'https://www.facebook.com/' || c.post_id || '?comment_id=' || w.message_id
            else 'https://www.facebook.com/' || w.message_id
        end as message_url,
        w.occurred_at,
        p.person_id,
        p.customer_id,
        s.sentiment,
        s.intent,
        w.priority,
        w.calendar_seconds as waited_calendar_seconds,
        w.business_seconds as waited_business_seconds,
        w.sla_target_seconds,
        w.is_sla_breached,
        v.social_clv,
        i.influence,
        g.segments,
        v.value_percentile,
        i.influence_percentile
    from waiting as w
    inner join messages as m on w.message_id = m.message_id
    left join sentiment as s on w.message_id = s.message_id
    left join comments as c on w.channel = 'facebook' and w.message_id = c.comment_id
    left join instagram_links as l on w.channel = 'instagram' and w.message_id = l.message_id
    left join people as p on w.channel || ':' || m.profile_id = p.profile_key
    left join values_ranked as v on p.customer_id = v.customer_id
    left join influence_ranked as i on p.person_id = i.person_id
    left join segments as g on p.person_id = g.person_id

),

scored as (

    select
        *,
        (
            case priority
                when 'high' then {{ var('queue_weight_high') }}
                when 'normal' then {{ var('queue_weight_normal') }}
                else {{ var('queue_weight_low') }}
            end
            + {{ var('queue_weight_value') }} * coalesce(value_percentile, 0)
            + {{ var('queue_weight_influence') }} * coalesce(influence_percentile, 0)
            + {{ var('queue_weight_overdue') }} * least(
                waited_business_seconds::float / nullif(sla_target_seconds, 0), 2
            ) / 2
        )::numeric(8, 4) as priority_score
    from described

)

select
    message_id,
    channel,
    brand_key,
    message_type,
    message_text,
    message_url,
    occurred_at,
    person_id,
    customer_id,
    sentiment,
    intent,
    priority,
    waited_calendar_seconds,
    waited_business_seconds,
    sla_target_seconds,
    coalesce(is_sla_breached, false) as is_sla_breached,
    social_clv,
    influence,
    segments,
    priority_score,
    row_number() over (
        partition by brand_key order by priority_score desc, occurred_at asc, message_id asc
    )::integer as queue_position,
    {{ as_of() }} as as_of
from scored
