-- Per brand and day: Page followers, follows and unfollows, views and post engagements (Page
-- Insights of today, our Pages; followers fall back to the page snapshots when the insight is
-- missing, as they do for rivals), the Page's posts and the comments and reactions on them
-- (a rival's: the public counts on its posts, docs/rivals.md), mentions on X, share of voice
-- among the tracked brands, and the sentiment mix of that day's customer messages (all
-- people: an aggregate); on Instagram each brand's followers (our account's counts, a rival's
-- through business discovery), our views, the media each brand published and their public
-- likes and comments, the comments, tags and mentions people wrote to us, and each brand's
-- share of the public interactions. The retired page_fans metrics are not mapped:
-- likes and follows are different counts (docs/graph-insights-metrics.md).
with

brands as (

    select * from {{ ref('brands') }}

),

insights as (

    select
        b.brand_key,
        i.metric_date,
        max(i.metric_value) filter (where i.metric = 'page_follows') as followers,
        max(i.metric_value) filter (where i.metric = 'page_daily_follows_unique') as follows,
        max(i.metric_value) filter (where i.metric = 'page_daily_unfollows_unique') as unfollows,
        max(i.metric_value) filter (where i.metric = 'page_media_view') as content_views,
        max(i.metric_value) filter (where i.metric = 'page_views_total') as page_views,
        max(i.metric_value) filter (where i.metric = 'page_post_engagements') as post_engagements
    from {{ ref('stg_facebook__page_insights') }} as i
    inner join brands as b on i.page_id = b.facebook_page_id
    where not i.is_deleted
    group by b.brand_key, i.metric_date

),

snapshots as (

    -- the last follower count seen on each day
    select distinct on (b.brand_key, (s.observed_at at time zone 'UTC')::date)
        b.brand_key,
        (s.observed_at at time zone 'UTC')::date as metric_date,
        s.followers_count
    from {{ ref('stg_facebook__page_snapshots') }} as s
    inner join brands as b on s.page_id = b.facebook_page_id
    order by b.brand_key asc, (s.observed_at at time zone 'UTC')::date asc, s.observed_at desc

),

post_activity as (

    -- comments (every level, the Page's answers too) and reactions landed on our posts
    select
        post_id,
        count(*) as landed
    from (
        select post_id from {{ ref('stg_facebook__comments') }}
        where not is_deleted
        union all
        select post_id from {{ ref('stg_facebook__reactions') }}
        where not is_deleted
    ) as activity
    group by post_id

),

posts as (

    -- each Page's posts by the day they were published, with the comments and reactions on
    -- them: a rival's public counts, else what landed
    select
        b.brand_key,
        (p.created_at at time zone 'UTC')::date as metric_date,
        count(*) as page_posts,
        sum(
            coalesce(p.public_comment_count + p.public_reaction_count, a.landed, 0)
        )::bigint as post_comments_and_reactions
    from {{ ref('stg_facebook__posts') }} as p
    inner join brands as b on p.page_id = b.facebook_page_id
    left join post_activity as a on p.post_id = a.post_id
    where not p.is_deleted
    group by b.brand_key, (p.created_at at time zone 'UTC')::date

),

messages as (

    select
        m.brand_key,
        (m.occurred_at at time zone 'UTC')::date as metric_date,
        -- X: every tracked brand's mentions are searched alike (Instagram gives ours only)
        count(*) filter (where m.engagement_type = 'mention' and m.platform = 'x') as mentions,
        count(*) as customer_messages,
        count(*) filter (where s.sentiment = 'positive') as positive_messages,
        count(*) filter (where s.sentiment = 'neutral') as neutral_messages,
        count(*) filter (where s.sentiment = 'negative') as negative_messages
    from {{ ref('int_messages_answered') }} as m
    left join {{ ref('int_message_sentiment') }} as s on m.message_id = s.message_id
    group by m.brand_key, (m.occurred_at at time zone 'UTC')::date

),

-- Instagram: each account's counts on each day (the day's latest snapshot)
instagram_accounts as (

    select
        b.brand_key,
        a.snapshot_date as metric_date,
        a.followers_count
    from {{ ref('stg_instagram__accounts') }} as a
    inner join brands as b on a.ig_user_id = b.instagram_user_id

),

instagram_insights as (

    select
        b.brand_key,
        i.metric_date,
        max(i.metric_value) filter (where i.metric = 'views') as account_views
    from {{ ref('stg_instagram__account_insights') }} as i
    inner join brands as b on i.ig_user_id = b.instagram_user_id
    group by b.brand_key, i.metric_date

),

-- the media each brand published (ours and the rivals', public counts for both: what business
-- discovery gives of a rival is what anyone sees of ours)
instagram_media as (

    select
        b.brand_key,
        (m.created_at at time zone 'UTC')::date as metric_date,
        count(*) as media_posted,
        sum(coalesce(m.like_count, 0) + coalesce(m.comments_count, 0))::bigint
            as media_interactions
    from {{ ref('stg_instagram__media') }} as m
    inner join brands as b on m.tracked_ig_user_id = b.instagram_user_id
    where m.media_source in ('own', 'rival')
    group by b.brand_key, (m.created_at at time zone 'UTC')::date

),

-- what people wrote to the brand on Instagram (ours: the API reads no rival's comments,
-- tags or mentions)
instagram_engagements as (

    select
        e.brand_key,
        (e.occurred_at at time zone 'UTC')::date as metric_date,
        count(*) filter (where e.engagement_type in ('comment', 'reply')) as people_comments,
        count(*) filter (where e.engagement_type = 'tag') as tags,
        count(*) filter (where e.engagement_type = 'mention') as mentions
    from {{ ref('int_engagements_unified') }} as e
    where e.platform = 'instagram'
    group by e.brand_key, (e.occurred_at at time zone 'UTC')::date

),

days as (

    select
        brand_key,
        metric_date
    from insights
    union
    select
        brand_key,
        metric_date
    from snapshots
    union
    select
        brand_key,
        metric_date
    from messages
    union
    select
        brand_key,
        metric_date
    from posts
    union
    select
        brand_key,
        metric_date
    from instagram_accounts
    union
    select
        brand_key,
        metric_date
    from instagram_insights
    union
    select
        brand_key,
        metric_date
    from instagram_media
    union
    select
        brand_key,
        metric_date
    from instagram_engagements

),

combined as (

    select
        d.brand_key,
        d.metric_date,
        coalesce(i.followers, s.followers_count) as followers,
        i.follows,
        i.unfollows,
        i.content_views,
        i.page_views,
        i.post_engagements,
        coalesce(p.page_posts, 0) as page_posts,
        coalesce(p.post_comments_and_reactions, 0) as post_comments_and_reactions,
        coalesce(m.mentions, 0) as mentions,
        coalesce(m.customer_messages, 0) as customer_messages,
        coalesce(m.positive_messages, 0) as positive_messages,
        coalesce(m.neutral_messages, 0) as neutral_messages,
        coalesce(m.negative_messages, 0) as negative_messages,
        ia.followers_count as instagram_followers,
        ii.account_views as instagram_views,
        coalesce(im.media_posted, 0) as instagram_media_posted,
        coalesce(im.media_interactions, 0) as instagram_media_interactions,
        coalesce(ie.people_comments, 0) as instagram_comments,
        coalesce(ie.tags, 0) as instagram_tags,
        coalesce(ie.mentions, 0) as instagram_mentions
    from days as d
    left join insights as i on d.brand_key = i.brand_key and d.metric_date = i.metric_date
    left join snapshots as s on d.brand_key = s.brand_key and d.metric_date = s.metric_date
    left join messages as m on d.brand_key = m.brand_key and d.metric_date = m.metric_date
    left join posts as p on d.brand_key = p.brand_key and d.metric_date = p.metric_date
    left join instagram_accounts as ia
        on d.brand_key = ia.brand_key and d.metric_date = ia.metric_date
    left join instagram_insights as ii
        on d.brand_key = ii.brand_key and d.metric_date = ii.metric_date
    left join instagram_media as im
        on d.brand_key = im.brand_key and d.metric_date = im.metric_date
    left join instagram_engagements as ie
        on d.brand_key = ie.brand_key and d.metric_date = ie.metric_date

)

select
    brand_key,
    metric_date,
    followers,
    follows,
    unfollows,
    content_views,
    page_views,
    post_engagements,
    page_posts,
    post_comments_and_reactions,
    mentions,
    customer_messages,
    positive_messages,
    neutral_messages,
    negative_messages,
    round(
        mentions::numeric / nullif(sum(mentions) over (partition by metric_date), 0), 6
    )::numeric(7, 6) as share_of_voice,
    round(
        post_comments_and_reactions::numeric
        / nullif(sum(post_comments_and_reactions) over (partition by metric_date), 0),
        6
    )::numeric(7, 6) as share_of_post_engagement,
    instagram_followers,
    instagram_views,
    instagram_media_posted,
    instagram_media_interactions,
    instagram_comments,
    instagram_tags,
    instagram_mentions,
    round(
        instagram_media_interactions::numeric
        / nullif(sum(instagram_media_interactions) over (partition by metric_date), 0),
        6
    )::numeric(7, 6) as instagram_share_of_voice,
    -- the share of voice denominators, for ratios over any period (models/metrics.yml)
    sum(mentions) over (partition by metric_date)::bigint as all_brands_mentions,
    sum(post_comments_and_reactions) over (
        partition by metric_date
    )::bigint as all_brands_post_comments_and_reactions,
    sum(instagram_media_interactions) over (
        partition by metric_date
    )::bigint as all_brands_instagram_media_interactions
from combined
