{{
    config(
        materialized='incremental',
        unique_key='engagement_id',
        on_schema_change='fail',
        indexes=[
            {'columns': ['engagement_id'], 'unique': True},
            {'columns': ['merged_at']},
            {'columns': ['profile_id']},
        ],
        pre_hook=["{{ delete_rows_deleted_upstream(engagement_staging_tables()) }}"]
    )
}}

-- depends_on: {{ engagement_staging_tables() | join(", ") }} (the pre-hook's deletions)

-- Every like/reaction, comment, reply, visitor post and mention, both platforms, one row each.
-- Incremental: a run merges the staged records merged after its last run (and the reactions of
-- posts deleted since, whose time falls back to when they were first seen); the pre-hook
-- deletes engagements whose record was deleted; the erasure step deletes erased people's rows.
-- A change to the brands seed needs a full refresh.

with

brands as (

    select * from {{ ref('brands') }}

),

posts as (

    select
        post_id,
        created_at
    from {{ ref('stg_facebook__posts') }}
    union all
    select
        visitor_post_id,
        created_at
    from {{ ref('stg_facebook__visitor_posts') }}

),

reactions as (

    select
        r.reaction_id as engagement_id,
        'facebook' as platform,
        b.brand_key,
        r.profile_id,
        r.reaction_type as engagement_type,
        null::text as message_id,
        null::text as message_text,
        -- the Graph API gives a reaction no time: it gets the time of the post it reacts to
        -- (a page post or a visitor post), the moment from which it can have happened; only
        -- a reaction on a post we no longer have (deleted, or erased with its author) gets
        -- the time we first saw it
        coalesce(p.created_at, r.first_seen_at) as occurred_at
    from {{ ref('stg_facebook__reactions') }} as r
    inner join brands as b on r.page_id = b.facebook_page_id
    left join posts as p on r.post_id = p.post_id
    {% if is_incremental() %}
        -- an array, not "in (select ...)": both conditions are then index scans (BitmapOr)
        where
            r.merged_at > {{ max_merged_at() }}
            or r.post_id = any(array(
                select d.record_id from {{ source('meta', 'merge_deletions') }} as d
                where
                    d.relation in ({{ merge_log_names([ref('stg_facebook__posts'), ref('stg_facebook__visitor_posts')]) }})
                    and d.deleted_at > {{ max_merged_at() }}
            ))
    {% endif %}

),

comments as (

    select
        c.comment_id as engagement_id,
        'facebook' as platform,
        b.brand_key,
        c.author_profile_id as profile_id,
        case when c.parent_comment_id is null then 'comment' else 'reply' end
            as engagement_type,
        c.comment_id as message_id,
        c.message_text,
        c.created_at as occurred_at
    from {{ ref('stg_facebook__comments') }} as c
    inner join brands as b on c.page_id = b.facebook_page_id
    {% if is_incremental() %}
        where not c.is_by_page and c.merged_at > {{ max_merged_at() }}
    {% else %}
        where not c.is_by_page
    {% endif %}

),

visitor_posts as (

    select
        v.visitor_post_id as engagement_id,
        'facebook' as platform,
        b.brand_key,
        v.author_profile_id as profile_id,
        'visitor_post' as engagement_type,
        v.visitor_post_id as message_id,
        v.message_text,
        v.created_at as occurred_at
    from {{ ref('stg_facebook__visitor_posts') }} as v
    inner join brands as b on v.page_id = b.facebook_page_id
    {% if is_incremental() %}
        where v.merged_at > {{ max_merged_at() }}
    {% endif %}

),

mentions as (

    select
        t.tweet_id as engagement_id,
        'x' as platform,
        b.brand_key,
        t.author_profile_id as profile_id,
        'mention' as engagement_type,
        t.tweet_id as message_id,
        t.message_text,
        t.created_at as occurred_at
    from {{ ref('stg_x__tweets') }} as t
    inner join brands as b on t.brand_handle = b.x_handle
    {% if is_incremental() %}
        where t.author_profile_id <> b.x_user_id and t.merged_at > {{ max_merged_at() }}
    {% else %}
        where t.author_profile_id <> b.x_user_id
    {% endif %}

),

unioned as (

    select * from reactions
    union all
    select * from comments
    union all
    select * from visitor_posts
    union all
    select * from mentions

)

select
    *,
    statement_timestamp() as merged_at
from unioned
