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

-- advocate and detractor decide on expected counts: each message counts by its probabilities
-- (a message read 70% negative adds 0.7 to the negatives), and the sums, rounded to whole
-- messages, meet the marketer's rule (dbt vars segment_*). The rounding is the tolerance: half
-- a message, so one misread message moves a person by its doubt, not across a segment; with
-- calibrated probabilities a sum rounded is the count the person most likely wrote.
sentiment as (

    select
        p.person_id,
        round(p.expected_positive_messages::numeric) as positives,
        round(p.expected_negative_messages::numeric) as negatives,
        round(p.expected_positive_messages::numeric, 1) || ' positive and '
        || round(p.expected_negative_messages::numeric, 1) || ' negative messages expected ('
        || p.positive_messages || ' and ' || p.negative_messages || ' read so)' as counted
    from people as p

),

rules as (

    select
        s.person_id,
        'advocate' as segment,
        s.counted as reason
    from sentiment as s
    where
        s.positives >= {{ var('segment_advocate_min_positive') }}
        and s.positives >= {{ var('segment_advocate_ratio') }} * s.negatives

    union all

    select
        s.person_id,
        'detractor' as segment,
        s.counted as reason
    from sentiment as s
    where
        s.negatives >= {{ var('segment_detractor_min_negative') }}
        and s.negatives > s.positives

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
