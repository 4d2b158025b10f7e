{{ config(materialized='view') }}

-- Person-to-person interactions the pipeline lands, one row each: who answered whose message.
-- Facebook: a reply to a person's comment, a comment on a person's visitor post; X: a reply to
-- a person's tweet. The brands' own answers are not interactions between people. A view: the
-- influence scoring reads it after erasure, so erased people's interactions are gone.
with

brands as (

    select * from {{ ref('brands') }}

),

comments as (

    select * from {{ ref('stg_facebook__comments') }}

),

comment_replies as (

    select
        'facebook' as platform,
        r.comment_id as interaction_id,
        'comment_reply' as interaction_type,
        r.author_profile_id as source_profile_id,
        c.author_profile_id as target_profile_id,
        r.created_at as occurred_at
    from comments as r
    inner join comments as c on r.parent_comment_id = c.comment_id
    where
        not r.is_by_page and not c.is_by_page
        -- a comment without its author (no `from`) links nobody
        and r.author_profile_id is not null and c.author_profile_id is not null

),

visitor_post_comments as (

    select
        'facebook' as platform,
        c.comment_id as interaction_id,
        'visitor_post_comment' as interaction_type,
        c.author_profile_id as source_profile_id,
        v.author_profile_id as target_profile_id,
        c.created_at as occurred_at
    from comments as c
    inner join {{ ref('stg_facebook__visitor_posts') }} as v on c.post_id = v.visitor_post_id
    where
        not c.is_by_page and c.parent_comment_id is null
        and c.author_profile_id is not null and v.author_profile_id is not null

),

tweet_replies as (

    select
        'x' as platform,
        t.tweet_id as interaction_id,
        'reply' as interaction_type,
        t.author_profile_id as source_profile_id,
        t.in_reply_to_profile_id as target_profile_id,
        t.created_at as occurred_at
    from {{ ref('stg_x__tweets') }} as t
    where
        t.in_reply_to_profile_id is not null
        and t.author_profile_id not in (select b.x_user_id from brands as b)
        and t.in_reply_to_profile_id not in (select b.x_user_id from brands as b)

)

select * from comment_replies
union all
select * from visitor_post_comments
union all
select * from tweet_replies
