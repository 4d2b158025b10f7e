{{
    config(
        unique_key='comment_id',
        indexes=[
            {'columns': ['comment_id'], 'unique': True},
            {'columns': ['merged_at']},
        ]
    )
}}

with

source as (

    {{ latest_raw_versions(source('facebook', 'facebook_comments'), 'comment_id') }}

),

renamed as (

    select
        -- ids
        natural_key as comment_id,
        payload ->> 'post_id' as post_id,
        split_part(payload ->> 'post_id', '_', 1) as page_id,
        payload -> 'parent' ->> 'id' as parent_comment_id,
        payload -> 'from' ->> 'id' as author_profile_id,
        payload -> 'from' ->> 'name' as author_name,

        -- content
        payload ->> 'message' as message_text,

        -- flags
        -- a comment without `from` (author unknown) is a person's, counted as such
        coalesce(
            payload -> 'from' ->> 'id' = split_part(payload ->> 'post_id', '_', 1), false
        ) as is_by_page,

        -- timestamps (UTC)
        event_at as created_at,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
