-- Rule-based segments, a person may be in several; `reason` says why, in words a marketer reads.
-- Windows of time (at_risk) count back from the build's as-of time (macros/as_of.sql).
with

people as (

    select * from {{ ref('people') }}

),

latest as (

    select {{ as_of() }} as newest

),

-- one pass over the engagements for every per-person count the rules need
engagement as (

    select
        f.person_id,
        count(*) filter (where f.message_id is not null and f.intent = 'discount')
            as discount_messages,
        count(*) filter (where f.message_id is not null and f.intent = 'idea') as idea_messages,
        count(*) filter (
            where f.occurred_at >= l.newest - interval '30 days' and f.occurred_at <= l.newest
        ) as recent_30d,
        count(*) filter (
            where f.occurred_at < l.newest - interval '30 days'
            and f.occurred_at >= l.newest - interval '90 days'
        ) as previous_60d
    from {{ ref('engagements') }} as f
    cross join latest as l
    group by f.person_id

),

rules as (

    select
        p.person_id,
        'advocate' as segment,
        p.positive_messages || ' positive messages, ' || p.negative_messages || ' negative'
            as reason
    from people as p
    where p.positive_messages >= 3 and p.positive_messages >= 3 * p.negative_messages

    union all

    select
        p.person_id,
        'detractor' as segment,
        p.negative_messages || ' negative messages, ' || p.positive_messages || ' positive'
            as reason
    from people as p
    where p.negative_messages >= 2 and p.negative_messages > p.positive_messages

    union all

    select
        m.person_id,
        'discount_seeker' as segment,
        m.discount_messages || ' messages asking for a discount' as reason
    from engagement as m
    where m.discount_messages >= 2

    union all

    select
        m.person_id,
        'idea_contributor' as segment,
        m.idea_messages || ' #idea messages' as reason
    from engagement as m
    where m.idea_messages >= 1

    union all

    select
        a.person_id,
        'at_risk' as segment,
        'engagement fell from ' || a.previous_60d || ' in the 60 days before to '
        || a.recent_30d || ' in the last 30' as reason
    from engagement as a
    where a.previous_60d >= 6 and a.recent_30d * 4 < a.previous_60d  -- rate fell below half

    union all

    select
        p.person_id,
        'silent_fan' as segment,
        p.reactions_count || ' reactions and no message' as reason
    from people as p
    where
        p.reactions_count >= 5
        and p.comments_count + p.replies_count + p.visitor_posts_count + p.mentions_count = 0

)

select
    r.person_id,
    r.segment,
    r.reason,
    p.is_customer,
    p.age_band,
    p.country,
    p.job_title
from rules as r
inner join people as p on r.person_id = p.person_id
