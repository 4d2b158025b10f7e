{{
    config(
        unique_key='insight_id',
        indexes=[
            {'columns': ['insight_id'], 'unique': True},
            {'columns': ['merged_at']},
        ]
    )
}}

-- Our account's daily insights, one row per account, metric and day (natural key
-- `<ig user id>:<metric>:<day>`), with today's metric names (views, reach, accounts_engaged,
-- total_interactions, follower_count, ...).

with

source as (

    {{ latest_raw_versions(
        source('instagram', 'instagram_account_insights'), 'insight_id'
    ) }}

),

renamed as (

    select
        -- ids
        natural_key as insight_id,
        split_part(natural_key, ':', 1) as ig_user_id,
        split_part(natural_key, ':', 2) as metric,

        -- value
        {{ instagram_insight_value('payload') }} as metric_value,

        -- the UTC day the value is for
        split_part(natural_key, ':', 3)::date as metric_date,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
