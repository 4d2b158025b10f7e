{{
    config(
        unique_key='profile_id',
        indexes=[
            {'columns': ['profile_id'], 'unique': True},
            {'columns': ['merged_at']},
        ]
    )
}}

with

source as (

    {{ latest_raw_versions(source('x', 'x_users'), 'profile_id') }}

),

renamed as (

    select
        -- ids
        natural_key as profile_id,
        payload ->> 'username' as handle,

        -- person
        payload ->> 'name' as full_name,
        payload ->> 'location' as city,
        payload ->> 'description' as bio,

        -- network
        (payload -> 'public_metrics' ->> 'followers_count')::bigint as followers_count,
        (payload -> 'public_metrics' ->> 'following_count')::bigint as following_count,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
