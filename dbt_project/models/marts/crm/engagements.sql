{{
    config(
        materialized='incremental',
        unique_key='engagement_id',
        on_schema_change='fail',
        indexes=[
            {'columns': ['engagement_id'], 'unique': True},
            {'columns': ['merged_at']},
            {'columns': ['customer_id']},
        ],
        pre_hook=[
            "{{ delete_rows_deleted_upstream(engagement_staging_tables()) }}",
            "{{ delete_rows_of_newly_excluded_profiles(ref('int_engagements_unified')) }}"
        ],
        post_hook=[
            "{{ log_deletions_for_publish() }}",
            "{{ delete_excluded_customers('customer_id', ref('int_excluded_customers')) }}"
        ]
    )
}}

-- depends_on: {{ ref('brands') }} (the pre-hook's engagement id suffixes)
-- depends_on: {{ engagement_staging_tables() | join(", ") }} (the pre-hook's deletions)
-- depends_on: {{ ref('stg_scoring__message_sentiment') }} (messages_scored_after)
-- depends_on: {{ ref('stg_crm__sentiment_overrides') }} (messages_scored_after)

-- One row per like/reaction, comment, reply, visitor post and mention. Incremental: a run
-- merges the engagements int_engagements_unified merged after its last run, those whose
-- message was scored again and those of people whose link or exclusion changed; the pre-hook
-- deletes engagements whose source record was deleted (meta.merge_deletions, no scan of the
-- whole table) and those of profiles newly excluded from details, the post-hook the rows of
-- customers who opted out or asked to be erased.
with

engagements as (

    select * from {{ ref('int_engagements_unified') }}
    {% if is_incremental() %}
        where merged_at > {{ max_merged_at() }}
        -- messages scored again (an edit, a new scorer) or corrected by staff
        union
        select * from {{ ref('int_engagements_unified') }}
        where
            -- with an Instagram caption mention in a media read as a tag (`<media id>:mention`)
            -- and an X post's mention of a second brand (`<post id>:<brand_key>`)
            engagement_id in (
                select s.message_id || x.suffix
                from ({{ messages_scored_after(max_merged_at()) }}) as s
                cross join {{ engagement_id_suffixes() }} as x
            )
        -- people whose link to a customer or exclusion changed
        union
        select e.* from {{ ref('int_engagements_unified') }} as e
        inner join {{ ref('int_people_profiles') }} as p
            on e.profile_id = p.profile_id and e.platform = p.platform
        where p.merged_at > {{ max_merged_at() }}
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
    s.p_negative,
    s.p_neutral,
    s.p_positive,
    s.intent,
    e.occurred_at,
    statement_timestamp() as merged_at
from engagements as e
inner join people as p on e.platform || ':' || e.profile_id = p.profile_key
left join {{ ref('int_message_sentiment') }} as s on e.message_id = s.message_id
where not p.is_excluded_from_details
