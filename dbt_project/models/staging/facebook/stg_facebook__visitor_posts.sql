with

source as (

    {{ latest_versions(source('facebook', 'facebook_visitor_posts')) }}

),

renamed as (

    select
        -- ids
        natural_key as visitor_post_id,
        payload ->> 'page_id' as page_id,
        payload -> 'from' ->> 'id' as author_profile_id,

        -- content
        payload ->> 'message' as message_text,

        -- timestamps (UTC)
        event_at as created_at

    from source

)

select * from renamed
