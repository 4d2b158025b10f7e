with

source as (

    {{ latest_versions(source('facebook', 'facebook_reactions')) }}

),

renamed as (

    select
        -- ids
        natural_key as reaction_id,
        payload ->> 'post_id' as post_id,
        split_part(payload ->> 'post_id', '_', 1) as page_id,
        payload ->> 'user_id' as profile_id,

        -- reaction
        lower(payload ->> 'type') as reaction_type,

        -- timestamps (UTC): the API gives no reaction time, first seen is the best we have
        extracted_at as first_seen_at

    from source

)

select * from renamed
