with

source as (

    {{ latest_versions(source('facebook', 'facebook_users')) }}

),

renamed as (

    select
        -- ids
        natural_key as profile_id,

        -- person
        payload ->> 'name' as full_name,
        lower(payload ->> 'email') as verified_email,
        payload -> 'location' ->> 'name' as city

    from source

)

select * from renamed
