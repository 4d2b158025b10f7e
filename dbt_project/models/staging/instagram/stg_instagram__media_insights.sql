{{
    config(
        unique_key='insight_id',
        indexes=[
            {'columns': ['insight_id'], 'unique': True},
            {'columns': ['media_id']},
            {'columns': ['merged_at']},
        ]
    )
}}

-- Our media's insights (lifetime values as read on a UTC day), one row per media, metric and
-- day (natural key `<media id>:<metric>:<UTC date>`), with today's metric names per media
-- type (views, reach, likes, comments, shares, saved, total_interactions).

with

source as (

    {{ latest_raw_versions(
        source('instagram', 'instagram_media_insights'), 'insight_id'
    ) }}

),

renamed as (

    select
        -- ids
        natural_key as insight_id,
        split_part(natural_key, ':', 1) as media_id,
        split_part(natural_key, ':', 2) as metric,

        -- value
        {{ instagram_insight_value('payload') }} as metric_value,

        -- the UTC day it was read
        split_part(natural_key, ':', 3)::date as metric_date,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
