-- Every social profile we know, both platforms, with normalized name and city for matching.
with

facebook as (

    select
        'facebook' as platform,
        profile_id,
        null::text as handle,
        full_name,
        city,
        verified_email,
        null::bigint as followers_count
    from {{ ref('stg_facebook__users') }}

),

x as (

    select
        'x' as platform,
        profile_id,
        handle,
        full_name,
        city,
        null::text as verified_email,
        followers_count
    from {{ ref('stg_x__users') }}
    where profile_id not in (select b.x_user_id from {{ ref('brands') }} as b)

),

unioned as (

    select * from facebook
    union all
    select * from x

)

select
    platform || ':' || profile_id as profile_key,
    platform,
    profile_id,
    handle,
    full_name,
    city,
    verified_email,
    followers_count,
    {{ normalize_text('full_name') }} as name_key,
    {{ normalize_text('city') }} as city_key
from unioned
