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

    {{ latest_raw_versions(source('facebook', 'facebook_users'), 'profile_id') }}

),

renamed as (

    select
        -- ids
        natural_key as profile_id,

        -- person
        payload ->> 'name' as full_name,
        lower(payload ->> 'email') as verified_email,
        payload -> 'location' ->> 'name' as city,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
