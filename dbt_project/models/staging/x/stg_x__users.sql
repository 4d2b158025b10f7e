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
        -- null (unknown) when not a whole number from 0 to ten billion (macros/whole_count.sql)
        {{ whole_count("payload -> 'public_metrics' ->> 'followers_count'") }} as followers_count,
        {{ whole_count("payload -> 'public_metrics' ->> 'following_count'") }} as following_count,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
