{{ config(materialized='ephemeral') }}

-- X's mentions of the tracked brands (not the brand's own posts), in the shape every platform
-- gives int_engagements_unified: one row each, with when the staged post was merged
-- (source_merged_at: what the union merges by). Ephemeral: a CTE of the union, with no
-- relation of its own; the union's filter reaches the staging table's merged_at index.
-- A post mentions every tracked brand whose @handle its text names, and the brand whose feed
-- found it (the post is landed once per feed, keyed by its id, and the last feed's
-- brand_handle is staged): one engagement per (post, brand). The first of them (ours first,
-- then by brand_key) keeps the post's id as its engagement_id, the others `<id>:<brand_key>`.

with

brands as (

    select * from {{ ref('brands') }}

),

mentions as (

    select
        case
            -- no window function: the union's merged_at filter must reach the staging index
            when
                not exists (
                    select 1 from brands as f
                    where
                        (
                            f.is_ours and not b.is_ours
                            or f.is_ours = b.is_ours and f.brand_key < b.brand_key
                        )
                        and {{ x_post_mentions('t', 'f') }}
                )
                then t.tweet_id
            else t.tweet_id || ':' || b.brand_key
        end as engagement_id,
        'x' as platform,
        b.brand_key,
        t.author_profile_id as profile_id,
        'mention' as engagement_type,
        t.tweet_id as message_id,
        t.message_text,
        t.created_at as occurred_at,
        t.merged_at as source_merged_at,
        -- an X post has its own time
        null::text as timed_by_post_id
    from {{ ref('stg_x__tweets') }} as t
    inner join brands as b on {{ x_post_mentions('t', 'b') }}
    where t.author_profile_id <> b.x_user_id

)

select * from mentions
