with

source as (

    {{ latest_versions(source('x', 'x_users')) }}

),

renamed as (

    select
        -- ids
        natural_key as profile_id,
        payload ->> 'username' as handle,

        -- person
        payload ->> 'name' as full_name,
        payload ->> 'location' as city,
        payload ->> 'description' as bio,

        -- network
        (payload -> 'public_metrics' ->> 'followers_count')::bigint as followers_count,
        (payload -> 'public_metrics' ->> 'following_count')::bigint as following_count

    from source

)

select * from renamed
