-- Every social profile we know, both platforms: what it shows of its owner (a display name;
-- on X a handle and a free-text location) and its public follower count. A Page token reads
-- only the id and name of a Facebook user.
with

facebook as (

    select
        'facebook' as platform,
        profile_id,
        null::text as handle,
        full_name as display_name,
        null::text as location_text,
        null::bigint as followers_count
    from {{ ref('stg_facebook__users') }}

),

x as (

    select
        'x' as platform,
        profile_id,
        handle,
        full_name as display_name,
        city as location_text,
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
    display_name,
    location_text,
    followers_count
from unioned
