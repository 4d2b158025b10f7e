{{
    config(
        unique_key='comment_id',
        indexes=[
            {'columns': ['comment_id'], 'unique': True},
            {'columns': ['media_id']},
            {'columns': ['merged_at']},
            {'columns': ['(meta.text_names(comment_text))'], 'type': 'gin'},
        ]
    )
}}

-- Current version of each comment and reply on our media (scope: the media id) and of each
-- comment that @mentions a tracked account on someone else's media (scope
-- `mentions:<ig user id>`, read by id: the API names no author for those).

with

source as (

    {{ latest_raw_versions(source('instagram', 'instagram_comments'), 'comment_id') }}

),

renamed as (

    select
        -- ids
        natural_key as comment_id,
        coalesce(
            payload -> 'media' ->> 'id',
            payload ->> 'media_id',
            case when scope_key not like 'mentions:%' then scope_key end
        ) as media_id,
        payload ->> 'parent_id' as parent_comment_id,
        case
            when scope_key like 'mentions:%' then substr(scope_key, length('mentions:') + 1)
        end as mentioned_ig_user_id,
        coalesce(payload -> 'from' ->> 'username', payload ->> 'username') as author_username,
        {{ instagram_profile_id(
            "coalesce(payload -> 'from' ->> 'username', payload ->> 'username')"
        ) }} as profile_id,
        payload -> 'from' ->> 'id' as ig_scoped_id,

        -- content
        payload ->> 'text' as comment_text,
        {{ whole_count("payload ->> 'like_count'") }} as like_count,
        coalesce((payload ->> 'hidden')::boolean, false) as is_hidden,
        -- the media's link and owner, where the API gives them (a mentioned comment's media)
        payload -> 'media' ->> 'permalink' as media_permalink,
        payload -> 'media' ->> 'username' as media_username,

        -- flags
        {{ is_instagram_brand(
            "coalesce(payload -> 'from' ->> 'username', payload ->> 'username')"
        ) }} as is_by_brand,
        scope_key like 'mentions:%' as is_mention,

        -- timestamps (UTC)
        coalesce((payload ->> 'timestamp')::timestamptz, event_at) as created_at,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
