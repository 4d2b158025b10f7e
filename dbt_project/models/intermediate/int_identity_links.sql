-- Social profile -> CRM customer. Verified email first (confidence 1.0); otherwise the same
-- normalized full name and city as exactly one customer (confidence 0.8). A name and city
-- shared by several customers links nobody: a wrong link is worse than none.
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

by_email as (

    select
        p.profile_key,
        c.customer_id,
        'email' as match_method,
        1.0 as match_confidence
    from profiles as p
    inner join customers as c on p.verified_email = c.email

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
    where not exists (
        select 1 from by_email as e
        where e.profile_key = p.profile_key
    )

)

select * from by_email
union all
select * from by_name_city
