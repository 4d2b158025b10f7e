with

source as (

    {{ latest_versions(source('x', 'x_followers')) }}

),

renamed as (

    select
        -- ids
        natural_key as follow_id,
        payload ->> 'follower_id' as follower_profile_id,
        payload ->> 'followed_id' as followed_profile_id

    from source

)

select * from renamed
