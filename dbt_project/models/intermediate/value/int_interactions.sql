{{ config(materialized='view') }}

-- Person-to-person interactions the pipeline lands, one row each: who answered whose message.
-- Facebook: a reply to a person's comment, a comment on a person's visitor post; X: a reply to
-- a person's tweet; Instagram: a reply to a person's comment, an @mention of a person in a
-- comment or caption, and the comments a person's media drew (the media's public
-- comments_count: the API reads who commented only on our media, so these have no source).
-- Nobody interacts with themselves: a reply to one's own message is left out on every
-- platform. The brands' own answers (any tracked brand's Page or account, ours or a rival's)
-- are not interactions between people (a brand's account has no Instagram profile_id). An X
-- reply counts only while the post it answers is landed and not deleted (a deleted post is no
-- longer a message of its author's). Answers from a person's own other accounts (linked to the
-- same customer) are left out by the influence scoring (customer_value/run.py), which reads the
-- identity links. A view: the influence scoring reads it after erasure, so erased
-- people's interactions are gone (and a blanked `@[erased]` names no one).
with

brands as (

    select * from {{ ref('brands') }}

),

brand_pages as (

    select facebook_page_id as page_id
    from brands
    where facebook_page_id is not null

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
        and r.author_profile_id <> c.author_profile_id
        and r.author_profile_id not in (select b.page_id from brand_pages as b)
        and c.author_profile_id not in (select b.page_id from brand_pages as b)

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
        and c.author_profile_id <> v.author_profile_id
        and c.author_profile_id not in (select b.page_id from brand_pages as b)

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
    inner join {{ ref('stg_x__tweets') }} as p on t.replied_to_tweet_id = p.tweet_id
    where
        t.in_reply_to_profile_id is not null
        and not t.is_deleted and not p.is_deleted
        and t.author_profile_id <> t.in_reply_to_profile_id
        and t.author_profile_id not in (select b.x_user_id from brands as b)
        and t.in_reply_to_profile_id not in (select b.x_user_id from brands as b)

),

instagram_comments as (

    select * from {{ ref('stg_instagram__comments') }}
    where not is_deleted

),

instagram_media as (

    select * from {{ ref('stg_instagram__media') }}
    where not is_deleted

),

instagram_profiles as (

    select profile_id from {{ ref('int_social_profiles') }}
    where platform = 'instagram'

),

instagram_replies as (

    select
        'instagram' as platform,
        r.comment_id as interaction_id,
        'comment_reply' as interaction_type,
        r.profile_id as source_profile_id,
        c.profile_id as target_profile_id,
        r.created_at as occurred_at
    from instagram_comments as r
    inner join instagram_comments as c on r.parent_comment_id = c.comment_id
    where r.profile_id <> c.profile_id

),

-- what a person wrote on Instagram (their comments and the captions of their media)
instagram_texts as (

    select
        comment_id as item_id,
        profile_id,
        comment_text as body,
        false as is_caption,
        created_at
    from instagram_comments
    where profile_id is not null

    union all

    select
        media_id as item_id,
        profile_id,
        caption as body,
        true as is_caption,
        created_at
    from instagram_media
    where profile_id is not null

),

instagram_mentions as (

    -- each person a text @mentions, once (a period ending the sentence is no part of a name):
    -- in a comment or a caption alike, a username only as `@username` (not after a `#`, which
    -- names a hashtag, nor a bare word, which may be an everyday word a username spells)
    select distinct
        'instagram' as platform,
        t.item_id || ':@' || m.username as interaction_id,
        'mention' as interaction_type,
        t.profile_id as source_profile_id,
        m.username as target_profile_id,
        t.created_at as occurred_at
    from instagram_texts as t
    cross join
        lateral (
            select rtrim(lower(x.found[1]), '.') as username
            from regexp_matches(
                t.body, '(?<![A-Za-z0-9._@#])@([A-Za-z0-9._]{1,30})', 'g'
            ) as x (found)
        ) as m
    where
        m.username <> t.profile_id
        and m.username in (select p.profile_id from instagram_profiles as p)

),

instagram_comments_received as (

    select
        'instagram' as platform,
        m.media_id || ':comment:' || n.n as interaction_id,
        'comment_received' as interaction_type,
        null::text as source_profile_id,
        m.profile_id as target_profile_id,
        m.created_at as occurred_at
    from instagram_media as m
    cross join lateral generate_series(1, least(m.comments_count, 100000)) as n (n)
    where m.profile_id is not null and m.comments_count > 0

)

select * from comment_replies
union all
select * from visitor_post_comments
union all
select * from tweet_replies
union all
select * from instagram_replies
union all
select * from instagram_mentions
union all
select * from instagram_comments_received
