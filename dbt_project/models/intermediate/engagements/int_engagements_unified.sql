{{
    config(
        materialized='incremental',
        unique_key='engagement_id',
        on_schema_change='fail',
        indexes=[
            {'columns': ['engagement_id'], 'unique': True},
            {'columns': ['merged_at']},
            {'columns': ['(meta.text_names(message_text))'], 'type': 'gin'},
            {'columns': ['(meta.text_mentions(message_text))'], 'type': 'gin'},
            {'columns': ['profile_id']},
        ],
        pre_hook=["{{ delete_rows_deleted_upstream(engagement_staging_tables()) }}"]
    )
}}

-- depends_on: {{ ref('brands') }} (the pre-hook's engagement id suffixes)
-- depends_on: {{ engagement_staging_tables() | join(", ") }} (the pre-hook's deletions)
-- depends_on: {{ ref('stg_facebook__posts') }} (posts staged or deleted since: incremental runs)

-- Every like/reaction, comment, reply, visitor post, tag and mention, every platform, one row each:
-- the union of one conforming model per platform (int_<platform>_engagements_conformed).
-- Incremental: a run merges the records staged since its last run, and the reactions of the
-- posts staged or deleted since (a reaction takes its post's time, or the time it was first
-- seen while there is no post: staged before it, or deleted); the pre-hook deletes
-- engagements whose record was deleted; the erasure step deletes erased people's rows.
-- A change to the brands seed needs a full refresh.

with

unioned as (

    select * from {{ ref('int_facebook_engagements_conformed') }}
    union all
    select * from {{ ref('int_x_engagements_conformed') }}
    union all
    select * from {{ ref('int_instagram_engagements_conformed') }}

)

select
    engagement_id,
    platform,
    brand_key,
    profile_id,
    engagement_type,
    message_id,
    message_text,
    occurred_at,
    statement_timestamp() as merged_at
from unioned
{% if is_incremental() %}
    {%- set post_tables = [ref('stg_facebook__posts'), ref('stg_facebook__visitor_posts')] %}
    -- pushed into each platform's scans: an array, not "in (select ...)", so that both
    -- conditions are index scans (BitmapOr); "is not null" folds the second away where the
    -- column is a null constant (without it, a filter no index serves: a scan of the table)
    where
        source_merged_at > {{ max_merged_at() }}
        or (timed_by_post_id is not null and timed_by_post_id = any(array(
            select d.record_id from {{ source('meta', 'merge_deletions') }} as d
            where
                d.relation in ({{ merge_log_names(post_tables) }})
                and d.deleted_at > {{ max_merged_at() }}
            union all
            select p.post_id from {{ post_tables[0] }} as p
            where p.merged_at > {{ max_merged_at() }}
            union all
            select v.visitor_post_id from {{ post_tables[1] }} as v
            where v.merged_at > {{ max_merged_at() }}
        )))
{% endif %}
