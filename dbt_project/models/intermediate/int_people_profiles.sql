-- Every social profile with the person it belongs to: the linked CRM customer, or a prospect
-- (one prospect per unlinked profile). Flags people who must not appear in detail marts.
with

profiles as (

    select * from {{ ref('int_social_profiles') }}

),

links as (

    select * from {{ ref('int_identity_links') }}

),

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

erased as (

    select customer_id from {{ ref('stg_crm__erasure_requests') }}

)

select
    p.profile_key,
    p.platform,
    p.profile_id,
    l.customer_id,
    l.match_method,
    l.match_confidence,
    coalesce(l.customer_id, 'prospect:' || p.profile_key) as person_id,
    coalesce(c.has_profiling_opt_out, false)
    or l.customer_id in (select e.customer_id from erased as e) as is_excluded_from_details
from profiles as p
left join links as l on p.profile_key = l.profile_key
left join customers as c on l.customer_id = c.customer_id
