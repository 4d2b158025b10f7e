with

source as (

    {{ latest_versions(source('facebook', 'facebook_page_insights')) }}

),

renamed as (

    select
        -- ids
        natural_key as insight_id,
        payload ->> 'page_id' as page_id,
        payload ->> 'metric' as metric,

        -- value
        (payload ->> 'value')::bigint as metric_value,

        -- the day the value is for (end_time is the end of that day, UTC)
        (event_at - interval '1 day')::date as metric_date

    from source

)

select * from renamed
