{{
    config(
        unique_key='account_day_id',
        indexes=[
            {'columns': ['account_day_id'], 'unique': True},
            {'columns': ['ig_user_id', 'snapshot_date']},
            {'columns': ['merged_at']},
        ]
    )
}}

-- Our account's and the rivals' public counts (business discovery), one row per account and
-- UTC day: the day's latest snapshot (the natural key is `<ig user id>:<UTC date of the API's
-- Date header>`, so a later run of the same day replaces it). A snapshot is never deleted.

with

source as (

    {{ latest_raw_versions(source('instagram', 'instagram_accounts'), 'account_day_id') }}

),

renamed as (

    select
        -- ids
        natural_key as account_day_id,
        split_part(natural_key, ':', 1) as ig_user_id,
        payload ->> 'username' as username,

        -- account
        payload ->> 'name' as account_name,
        {{ whole_count("payload ->> 'followers_count'") }} as followers_count,
        -- business discovery gives a rival's followers and media, not whom it follows
        {{ whole_count("payload ->> 'follows_count'") }} as follows_count,
        {{ whole_count("payload ->> 'media_count'") }} as media_count,

        -- timestamps: the UTC day the counts are for, and when they were read
        split_part(natural_key, ':', 2)::date as snapshot_date,
        event_at as observed_at,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
