with

source as (

    {{ latest_versions(source('facebook', 'facebook_posts')) }}

),

renamed as (

    select
        -- ids
        natural_key as post_id,
        payload ->> 'page_id' as page_id,

        -- content
        payload ->> 'message' as message_text,

        -- timestamps (UTC)
        event_at as created_at

    from source

)

select * from renamed
