{{
    config(
        unique_key='media_id',
        indexes=[
            {'columns': ['media_id'], 'unique': True},
            {'columns': ['merged_at']},
            {'columns': ['(meta.text_names(caption))'], 'type': 'gin'},
        ]
    )
}}

-- Current version of each media: ours, the rivals' (business discovery), media people tagged
-- us in or @mentioned us in the caption of, and campaign hashtags' media. The scope key says
-- which (`own:`, `rival:`, `tags:`, `mentions:` + the tracked account's IG user id, or
-- `hashtag:` + the tag). A media several walks find is landed under the one that means the
-- most (own, rival, tags, mentions, hashtag: extract/instagram_streams.py SCOPE_RANK), however
-- the walks were ordered: a tag whose caption also @mentions the account is `tags`, and
-- int_instagram_engagements_conformed reads the mention in its caption.

with

source as (

    {{ latest_raw_versions(source('instagram', 'instagram_media'), 'media_id') }}

),

renamed as (

    select
        -- ids
        natural_key as media_id,
        split_part(scope_key, ':', 1) as media_source,
        case
            when split_part(scope_key, ':', 1) <> 'hashtag'
                then substr(scope_key, strpos(scope_key, ':') + 1)
        end as tracked_ig_user_id,
        case
            when split_part(scope_key, ':', 1) = 'hashtag'
                then substr(scope_key, strpos(scope_key, ':') + 1)
        end as hashtag,
        payload ->> 'username' as author_username,
        {{ instagram_profile_id("payload ->> 'username'") }} as profile_id,

        -- content
        payload ->> 'caption' as caption,
        payload ->> 'media_type' as media_type,
        payload ->> 'media_product_type' as media_product_type,
        payload ->> 'permalink' as permalink,
        payload ->> 'shortcode' as shortcode,

        -- public counts when read
        {{ whole_count("payload ->> 'like_count'") }} as like_count,
        {{ whole_count("payload ->> 'comments_count'") }} as comments_count,

        -- timestamps (UTC): when it was published
        coalesce((payload ->> 'timestamp')::timestamptz, event_at) as created_at,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
