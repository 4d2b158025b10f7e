{{
    config(
        unique_key='follow_id',
        indexes=[
            {'columns': ['follow_id'], 'unique': True},
            {'columns': ['merged_at']},
        ]
    )
}}

with

source as (

    {{ latest_raw_versions(source('x', 'x_followers'), 'follow_id') }}

),

renamed as (

    select
        -- ids
        natural_key as follow_id,
        payload ->> 'follower_id' as follower_profile_id,
        payload ->> 'followed_id' as followed_profile_id,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
