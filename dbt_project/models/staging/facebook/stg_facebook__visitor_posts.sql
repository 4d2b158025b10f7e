{{
    config(
        unique_key='visitor_post_id',
        indexes=[
            {'columns': ['visitor_post_id'], 'unique': True},
            {'columns': ['merged_at']},
        ]
    )
}}

with

source as (

    {{ latest_raw_versions(
        source('facebook', 'facebook_visitor_posts'), 'visitor_post_id'
    ) }}

),

renamed as (

    select
        -- ids
        natural_key as visitor_post_id,
        payload ->> 'page_id' as page_id,
        payload -> 'from' ->> 'id' as author_profile_id,

        -- content
        payload ->> 'message' as message_text,

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
