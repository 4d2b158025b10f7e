{{ config(materialized='ephemeral') }}

-- X's mentions of the tracked brands (not the brand's own posts), in the shape every platform
-- gives int_engagements_unified: one row each, with when the staged post was merged
-- (source_merged_at: what the union merges by). Ephemeral: a CTE of the union, with no
-- relation of its own; the union's filter reaches the staging table's merged_at index.

with

brands as (

    select * from {{ ref('brands') }}

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
        t.created_at as occurred_at,
        t.merged_at as source_merged_at,
        -- an X post has its own time
        null::text as timed_by_post_id
    from {{ ref('stg_x__tweets') }} as t
    inner join brands as b on t.brand_handle = b.x_handle
    where t.author_profile_id <> b.x_user_id

)

select * from mentions
