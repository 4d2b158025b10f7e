-- Which Instagram usernames and Instagram-scoped ids (IGSID) are one person's: the rule erasure
-- (privacy/erasure.py) and the opt-out (int_excluded_profiles) share. An IGSID stays when its
-- account renames, so from each seed (a username in lower case, or an IGSID) it reaches every
-- IGSID seen with a username reached and every username seen with an IGSID reached, until no
-- new one is found. A username another account used too (seen with two IGSIDs) reaches both:
-- privacy errs on the person's side. The sightings are the raw rows that carry both (a comment's
-- `from`, a webhook change's `value.from`), whatever the marts were built from; a tracked
-- brand's own usernames and ids (`brand_usernames`, `brand_ids`) are never reached nor walked.
-- Returns (seed, reached), the seed with itself.
create view meta.instagram_account_sightings as
select
    lower(coalesce(payload -> 'from' ->> 'username', payload ->> 'username')) as username,
    payload -> 'from' ->> 'id' as igsid
from raw.instagram_comments
where
    payload -> 'from' ->> 'id' is not null
    and coalesce(payload -> 'from' ->> 'username', payload ->> 'username') is not null
union
select
    lower(payload -> 'value' -> 'from' ->> 'username'),
    payload -> 'value' -> 'from' ->> 'id'
from raw.webhook_events
where
    payload -> 'value' -> 'from' ->> 'id' is not null
    and payload -> 'value' -> 'from' ->> 'username' is not null;

-- The walk joins the sightings as edges both ways (username to IGSID, IGSID to username) by
-- equality, so each step is a hash join, not a scan of the sightings per row reached.
create function meta.instagram_accounts_reached(
    seeds text[], brand_usernames text[], brand_ids text[]
) returns table (seed text, reached text)
language sql stable as $$
    with recursive sightings as materialized (
        select s.username, s.igsid from meta.instagram_account_sightings as s
        where
            not s.username = any(coalesce(brand_usernames, '{}'))
            and not s.igsid = any(coalesce(brand_ids, '{}'))
    ),
    edges as materialized (
        select username as here, igsid as there from sightings
        union all
        select igsid, username from sightings
    ),
    walk (seed, value) as (
        select distinct s, s from unnest(seeds) as s where s is not null
        union
        select w.seed, e.there from walk as w inner join edges as e on e.here = w.value
    )
    select seed, value from walk
$$;
