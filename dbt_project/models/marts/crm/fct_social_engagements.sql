{{
    config(
        materialized='incremental',
        unique_key='engagement_id',
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} as f where not exists (select 1 from"
            " {{ ref('int_engagements_unified') }} as e where e.engagement_id = f.engagement_id)",
            "delete from {{ this }} as f where exists (select 1 from"
            " {{ ref('int_excluded_customers') }} as x where x.customer_id = f.customer_id)"
        ]
    )
}}

-- One row per like/reaction, comment, reply, visitor post and mention. Incremental: a run
-- adds what occurred since three days before the newest row; the post-hook removes rows whose
-- source item was deleted and rows of customers who opted out or asked to be erased (two
-- statements: each is a hash anti/semi-join; joined by OR they ran as a correlated subplan per
-- row, quadratic: over 10 minutes at 1M events).
with

engagements as (

    select * from {{ ref('int_engagements_unified') }}
    {% if is_incremental() %}
        where occurred_at >= (select max(f.occurred_at) - interval '3 days' from {{ this }} as f)
    {% endif %}

),

people as (

    select * from {{ ref('int_people_profiles') }}

)

select
    e.engagement_id,
    e.platform,
    e.brand_key,
    p.person_id,
    p.customer_id,
    e.engagement_type,
    e.message_id,
    s.sentiment,
    s.intent,
    e.occurred_at
from engagements as e
inner join people as p on e.platform || ':' || e.profile_id = p.profile_key
left join {{ ref('int_message_sentiment') }} as s on e.message_id = s.message_id
where not p.is_excluded_from_details
