-- Each customer message (comment, reply, visitor post, mention) and the brand's first answer:
-- on Facebook a page comment replying to it (or, for a visitor post, the page's comment on it),
-- on X a brand tweet replying to it.
with

messages as (

    select * from {{ ref('int_engagements_unified') }}
    where message_id is not null

),

facebook_answers as (

    select
        coalesce(c.parent_comment_id, c.post_id) as answered_id,
        min(c.created_at) as answered_at
    from {{ ref('stg_facebook__comments') }} as c
    where c.is_by_page
    group by coalesce(c.parent_comment_id, c.post_id)

),

x_answers as (

    select
        t.replied_to_tweet_id as answered_id,
        min(t.created_at) as answered_at
    from {{ ref('stg_x__tweets') }} as t
    inner join {{ ref('brands') }} as b on t.author_profile_id = b.x_user_id
    where t.replied_to_tweet_id is not null
    group by t.replied_to_tweet_id

),

answers as (

    select
        answered_id,
        answered_at,
        'facebook' as platform
    from facebook_answers
    union all
    select
        answered_id,
        answered_at,
        'x' as platform
    from x_answers

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
    extract(epoch from a.answered_at - m.occurred_at)::bigint as first_response_seconds
from messages as m
left join answers as a
    on m.message_id = a.answered_id and m.platform = a.platform
