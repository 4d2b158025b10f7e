{{
    config(
        materialized='incremental',
        unique_key='message_id',
        on_schema_change='fail',
        indexes=[
            {'columns': ['message_id'], 'unique': True},
            {'columns': ['merged_at']},
            {'columns': ['(meta.text_names(message_text))'], 'type': 'gin'},
            {'columns': ['(meta.text_mentions(message_text))'], 'type': 'gin'},
            {'columns': ['profile_id']},
            {'columns': ['brand_key', 'platform', 'occurred_at']},
            {'columns': ['brand_key', 'platform', 'answered_at']},
        ],
        pre_hook=["{{ delete_rows_deleted_upstream(message_staging_tables()) }}"]
    )
}}

-- depends_on: {{ ref('brands') }} (the pre-hook's engagement id suffixes)
-- depends_on: {{ message_staging_tables() | join(", ") }} (the pre-hook's deletions)
-- Indexed by brand, platform and time too: brand_response_times_daily reads the messages of the
-- days it measures by each day's start, and int_message_response_times each brand and
-- channel's first and last message and answer (the span of its calendar).

-- Each customer message (comment, reply, visitor post, mention) and the brand's first answer:
-- on Facebook a page comment replying to it (or, for a visitor post, the page's comment on it),
-- on X a brand tweet replying to it, on Instagram the brand's reply in the comment's thread
-- after it (Instagram mentions elsewhere are answered where we do not read: they stay
-- unanswered).
-- Incremental: a run recomputes the messages merged upstream since its last run, the messages
-- an answer merged since then replies to, and the messages whose first answer was deleted
-- since (answer_id); the pre-hook deletes messages deleted upstream.

with

-- the media owner's own replies on its media (a tracked rival's account commenting there is
-- not the brand answering)
instagram_brand_replies as (

    select
        c.comment_id as answer_id,
        c.parent_comment_id,
        c.created_at,
        c.merged_at
    from {{ ref('stg_instagram__comments') }} as c
    inner join {{ ref('stg_instagram__media') }} as m on c.media_id = m.media_id
    inner join {{ ref('brands') }} as b
        on
            m.tracked_ig_user_id = b.instagram_user_id
            and lower(c.author_username) = lower(b.instagram_username)
    where
        c.is_by_brand
        and not c.is_mention
        and c.parent_comment_id is not null
        and m.media_source = 'own'

),

-- what a brand reply answers: Instagram threads are one level deep (a reply to a reply is
-- filed under the top-level comment, its parent_id), so who in the thread it answers is not
-- known; it answers every person's message of the thread it follows, the top-level comment
-- and the replies written before it (docs/data-model.md)
instagram_answers as (

    select
        a.answer_id,
        a.parent_comment_id as answered_id,
        a.created_at,
        a.merged_at
    from instagram_brand_replies as a
    union all
    select
        a.answer_id,
        r.comment_id as answered_id,
        a.created_at,
        a.merged_at
    from instagram_brand_replies as a
    inner join {{ ref('stg_instagram__comments') }} as r
        on
            a.parent_comment_id = r.parent_comment_id
            and a.created_at > r.created_at
            and not r.is_by_brand

),

answers_given as (

    select
        c.comment_id as answer_id,
        coalesce(c.parent_comment_id, c.post_id) as answered_id,
        'facebook' as platform,
        c.created_at,
        c.merged_at
    from {{ ref('stg_facebook__comments') }} as c
    where c.is_by_page
    union all
    select
        t.tweet_id as answer_id,
        t.replied_to_tweet_id as answered_id,
        'x' as platform,
        t.created_at,
        t.merged_at
    from {{ ref('stg_x__tweets') }} as t
    inner join {{ ref('brands') }} as b on t.author_profile_id = b.x_user_id
    where t.replied_to_tweet_id is not null
    union all
    select
        a.answer_id,
        a.answered_id,
        'instagram' as platform,
        a.created_at,
        a.merged_at
    from instagram_answers as a

),

{% if is_incremental() %}
    {%- set answer_tables = [
        ref('stg_facebook__comments'), ref('stg_x__tweets'), ref('stg_instagram__comments'),
    ] %}

    changed as (

        select e.message_id
        from {{ ref('int_engagements_unified') }} as e
        where e.message_id is not null and e.merged_at > {{ max_merged_at() }}
        union
        select answered_id from answers_given
        where merged_at > {{ max_merged_at() }}
        union
        select m.message_id from {{ this }} as m
        where m.answer_id in (
            select d.record_id from {{ source('meta', 'merge_deletions') }} as d
            where
                d.relation in ({{ merge_log_names(answer_tables) }})
                and d.deleted_at > {{ max_merged_at() }}
        )

    ),

{% endif %}

messages as (

    select * from {{ ref('int_engagements_unified') }}
    {% if is_incremental() %}
        where
            message_id is not null
            -- by the engagements' id index (an Instagram caption mention in a media read as
            -- a tag is the engagement `<media id>:mention`)
            and engagement_id in (
                select c.message_id from changed as c
                union all
                select c.message_id || ':mention' from changed as c
            )
            -- one row per message: an X post mentioning several brands is one engagement per
            -- brand, the message is its first (`<id>`; the others are `<id>:<brand_key>`)
            and not (platform = 'x' and engagement_id <> message_id)
    {% else %}
        where
            message_id is not null
            and not (platform = 'x' and engagement_id <> message_id)
    {% endif %}

),

answers as (

    select
        answered_id,
        platform,
        min(created_at) as answered_at,
        (array_agg(answer_id order by created_at, answer_id))[1] as answer_id
    from answers_given
    {% if is_incremental() %}
        where answered_id in (select c.message_id from changed as c)
    {% endif %}
    group by answered_id, platform

)

select
    m.message_id,
    m.platform,
    m.brand_key,
    m.profile_id,
    m.engagement_type,
    m.message_text,
    m.occurred_at,
    a.answered_at,
    extract(epoch from a.answered_at - m.occurred_at)::bigint as first_response_seconds,
    a.answer_id,
    statement_timestamp() as merged_at
from messages as m
left join answers as a
    on m.message_id = a.answered_id and m.platform = a.platform
