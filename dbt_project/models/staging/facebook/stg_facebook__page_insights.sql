{{
    config(
        unique_key='insight_id',
        indexes=[
            {'columns': ['insight_id'], 'unique': True},
            {'columns': ['merged_at']},
        ]
    )
}}

with

source as (

    {{ latest_raw_versions(source('facebook', 'facebook_page_insights'), 'insight_id') }}

),

renamed as (

    select
        -- ids
        natural_key as insight_id,
        payload ->> 'page_id' as page_id,
        payload ->> 'metric' as metric,

        -- value
        {{ whole_count("payload ->> 'value'") }} as metric_value,

        -- the day the value is for (end_time is the end of that day, UTC)
        (event_at - interval '1 day')::date as metric_date,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
