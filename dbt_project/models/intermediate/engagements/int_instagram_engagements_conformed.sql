{{ config(materialized='ephemeral') }}

-- Instagram's engagements with the tracked brands, in the shape every platform gives
-- int_engagements_unified: people's comments and replies on our media, media that tag a
-- tracked account, and @mentions (in a caption, or in a comment elsewhere: the API names no
-- author for those, so they are counted and linked to nobody). One row each, with when the
-- staged record was merged (source_merged_at: what the union merges by). A brand's own
-- comments are its answers (int_messages_answered), not engagements.
-- A comment's brand is its media's owner: the extraction stages a media no later than the
-- comments it reads under it. Ephemeral: a CTE of the union, with no relation of its own.

with

brands as (

    select * from {{ ref('brands') }}

),

media as (

    select * from {{ ref('stg_instagram__media') }}

),

comments as (

    select
        c.comment_id as engagement_id,
        'instagram' as platform,
        b.brand_key,
        c.profile_id,
        case when c.parent_comment_id is null then 'comment' else 'reply' end
            as engagement_type,
        c.comment_id as message_id,
        c.comment_text as message_text,
        c.created_at as occurred_at,
        c.merged_at as source_merged_at,
        null::text as timed_by_post_id
    from {{ ref('stg_instagram__comments') }} as c
    inner join media as m on c.media_id = m.media_id and m.media_source = 'own'
    inner join brands as b on m.tracked_ig_user_id = b.instagram_user_id
    where not c.is_mention and not c.is_by_brand

),

comment_mentions as (

    select
        c.comment_id as engagement_id,
        'instagram' as platform,
        b.brand_key,
        c.profile_id,
        'mention' as engagement_type,
        c.comment_id as message_id,
        c.comment_text as message_text,
        c.created_at as occurred_at,
        c.merged_at as source_merged_at,
        null::text as timed_by_post_id
    from {{ ref('stg_instagram__comments') }} as c
    inner join brands as b on c.mentioned_ig_user_id = b.instagram_user_id
    where c.is_mention

),

-- a person's media that tags a tracked account (no message: nothing to answer) or @mentions
-- it in the caption (a message the brand can answer). A media read as a tag whose caption also
-- @mentions the account is both, two engagements: the mention's id is the media id with
-- `:mention` (macros/deletions.sql deletes it with the media).
media_engagements as (

    select
        m.media_id as engagement_id,
        'instagram' as platform,
        b.brand_key,
        m.profile_id,
        case m.media_source when 'tags' then 'tag' else 'mention' end as engagement_type,
        case when m.media_source = 'mentions' then m.media_id end as message_id,
        m.caption as message_text,
        m.created_at as occurred_at,
        m.merged_at as source_merged_at,
        null::text as timed_by_post_id
    from media as m
    inner join brands as b on m.tracked_ig_user_id = b.instagram_user_id
    where m.media_source in ('tags', 'mentions') and m.profile_id is not null
    union all
    select
        m.media_id || ':mention' as engagement_id,
        'instagram' as platform,
        b.brand_key,
        m.profile_id,
        'mention' as engagement_type,
        m.media_id as message_id,
        m.caption as message_text,
        m.created_at as occurred_at,
        m.merged_at as source_merged_at,
        null::text as timed_by_post_id
    from media as m
    inner join brands as b on m.tracked_ig_user_id = b.instagram_user_id
    where
        m.media_source = 'tags'
        and m.profile_id is not null
        and {{ mentions_instagram_username('m.caption', 'b.instagram_username') }}

),

unioned as (

    select * from comments
    union all
    select * from comment_mentions
    union all
    select * from media_engagements

)

select * from unioned
