{{
    config(
        unique_key='reaction_id',
        indexes=[
            {'columns': ['reaction_id'], 'unique': True},
            {'columns': ['merged_at']},
            {'columns': ['post_id']},
        ]
    )
}}

with

source as (

    {{ latest_raw_versions(source('facebook', 'facebook_reactions'), 'reaction_id') }}

),

renamed as (

    select
        -- ids
        natural_key as reaction_id,
        payload ->> 'post_id' as post_id,
        split_part(payload ->> 'post_id', '_', 1) as page_id,
        payload ->> 'user_id' as profile_id,

        -- reaction
        lower(payload ->> 'type') as reaction_type,

        -- timestamps (UTC): the API gives no reaction time, first seen is the best we have
        extracted_at as first_seen_at,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
