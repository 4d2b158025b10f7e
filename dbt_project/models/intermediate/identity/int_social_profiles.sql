-- Every social profile we know, every platform: what it shows of its owner (a display name;
-- on X a handle and a free-text location) and its public follower count. A Page token reads
-- only the id and name of a Facebook user. An Instagram profile is its username (the key is
-- the username in lower case, `handle` the username as last written): comments and media
-- name their author by username alone, no display name; a tracked brand's account is no
-- person (the staging models give it no profile_id).
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

-- the usernames Instagram items name, newest first
instagram_seen as (

    select
        profile_id,
        author_username,
        created_at
    from {{ ref('stg_instagram__comments') }}
    where profile_id is not null and not is_deleted

    union all

    select
        profile_id,
        author_username,
        created_at
    from {{ ref('stg_instagram__media') }}
    where profile_id is not null and not is_deleted

),

instagram as (

    select distinct on (profile_id)
        'instagram' as platform,
        profile_id,
        author_username as handle,
        null::text as display_name,
        null::text as location_text,
        null::bigint as followers_count
    from instagram_seen
    order by profile_id asc, created_at desc, author_username asc

),

unioned as (

    select * from facebook
    union all
    select * from x
    union all
    select * from instagram

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
