{{ config(materialized='ephemeral') }}

-- Facebook's reactions, comments, replies and visitor posts on the tracked brands' Pages, in
-- the shape every platform gives int_engagements_unified: one row each, with when the staged
-- record was merged (source_merged_at: what the union merges by) and, for a reaction, the post
-- whose time it takes (timed_by_post_id: the union merges it again when that post is deleted).
-- Ephemeral: a CTE of the union, with no relation of its own (a full refresh of a staging
-- table drops the views on it); the union's filter reaches the staging tables' indexes.

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
        coalesce(p.created_at, r.first_seen_at) as occurred_at,
        r.merged_at as source_merged_at,
        r.post_id as timed_by_post_id
    from {{ ref('stg_facebook__reactions') }} as r
    inner join brands as b on r.page_id = b.facebook_page_id
    left join posts as p on r.post_id = p.post_id

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
        c.created_at as occurred_at,
        c.merged_at as source_merged_at,
        null::text as timed_by_post_id
    from {{ ref('stg_facebook__comments') }} as c
    inner join brands as b on c.page_id = b.facebook_page_id
    -- the Page's own comments are its answers (int_messages_answered), not engagements
    where not c.is_by_page

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
        v.created_at as occurred_at,
        v.merged_at as source_merged_at,
        null::text as timed_by_post_id
    from {{ ref('stg_facebook__visitor_posts') }} as v
    inner join brands as b on v.page_id = b.facebook_page_id

),

unioned as (

    select * from reactions
    union all
    select * from comments
    union all
    select * from visitor_posts

)

select * from unioned
