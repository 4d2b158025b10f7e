-- Social profile -> CRM customer. Accounts the CRM knows (social login, loyalty sign-up, an
-- agent's link: by id, or by X handle) first, confidence 1.0, never overridden; then a verified
-- email (1.0); otherwise the same normalized full name and city as exactly one customer (0.8).
-- A name and city shared by several customers links nobody: a wrong link is worse than none;
-- nor does a namesake on a platform where the customer's own account is known. An account the
-- CRM gives to two customers links neither (a data error for CRM staff).
with

profiles as (

    select * from {{ ref('int_social_profiles') }}

),

customers as (

    select
        customer_id,
        email,
        {{ normalize_text("first_name || ' ' || last_name") }} as name_key,
        {{ normalize_text('city') }} as city_key
    from {{ ref('stg_crm__customers') }}

),

known_accounts as (

    select
        p.profile_key,
        min(a.customer_id) as customer_id,
        'known:' || min(a.link_source) as match_method,
        1.0 as match_confidence
    from profiles as p
    inner join {{ ref('stg_crm__customer_social_accounts') }} as a
        on
            p.platform = a.platform
            and (
                p.profile_id = a.account_id
                or (a.account_id is null and lower(p.handle) = a.handle)
            )
    inner join customers as c on a.customer_id = c.customer_id
    group by p.profile_key
    having count(distinct a.customer_id) = 1

),

by_email as (

    select
        p.profile_key,
        c.customer_id,
        'email' as match_method,
        1.0 as match_confidence
    from profiles as p
    inner join customers as c on p.verified_email = c.email
    where not exists (
        select 1 from known_accounts as k
        where k.profile_key = p.profile_key
    )

),

unique_name_city as (

    select
        name_key,
        city_key,
        min(customer_id) as customer_id
    from customers
    group by name_key, city_key
    having count(*) = 1

),

by_name_city as (

    select
        p.profile_key,
        u.customer_id,
        'name_city' as match_method,
        0.8 as match_confidence
    from profiles as p
    inner join unique_name_city as u
        on p.name_key = u.name_key and p.city_key = u.city_key
    -- not exists (an anti-join), not "not in": the planner cannot size by_email (a CTE) and
    -- ran "not in" as a subplan scan per profile, quadratic (hours at 10M events)
    where
        not exists (
            select 1 from by_email as e
            where e.profile_key = p.profile_key
        )
        and not exists (
            select 1 from known_accounts as k
            where k.profile_key = p.profile_key
        )
        -- the customer's account on this platform is known: a namesake is someone else
        and not exists (
            select 1 from known_accounts as k
            inner join profiles as kp on k.profile_key = kp.profile_key
            where k.customer_id = u.customer_id and kp.platform = p.platform
        )

)

select * from known_accounts
union all
select * from by_email
union all
select * from by_name_city
