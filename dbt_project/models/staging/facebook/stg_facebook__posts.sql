{{
    config(
        unique_key='post_id',
        indexes=[
            {'columns': ['post_id'], 'unique': True},
            {'columns': ['merged_at']},
        ]
    )
}}

with

source as (

    {{ latest_raw_versions(source('facebook', 'facebook_posts'), 'post_id') }}

),

renamed as (

    select
        -- ids
        natural_key as post_id,
        payload ->> 'page_id' as page_id,

        -- content
        payload ->> 'message' as message_text,

        -- counts: a rival's post carries the public counts of its comments and reactions (all
        -- a brand reads of them); null on our Pages, whose comments and reactions land each
        {{ whole_count("payload ->> 'comment_count'") }} as public_comment_count,
        {{ whole_count("payload ->> 'reaction_count'") }} as public_reaction_count,

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
