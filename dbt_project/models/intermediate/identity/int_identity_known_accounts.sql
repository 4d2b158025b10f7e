-- The social profiles the CRM already knows (customer_social_accounts.csv: social login,
-- loyalty sign-up, an agent's link), each with its customer: matched by account id, or by X
-- handle where the CRM has no id. An account the CRM gives to two customers is nobody's here
-- (a data error for CRM staff). Read by int_identity_links (first tier) and by the identity
-- matching step (these are the true pairs its model learns from).
with

profiles as (

    select * from {{ ref('int_social_profiles') }}

),

accounts as (

    select * from {{ ref('stg_crm__customer_social_accounts') }}

),

-- two equality joins, not one join on either condition: a join on an `or` cannot hash and
-- compares every profile with every account
claimed as (

    select
        p.profile_key,
        a.customer_id,
        a.link_source
    from profiles as p
    inner join accounts as a
        on p.platform = a.platform and p.profile_id = a.account_id

    union all

    select
        p.profile_key,
        a.customer_id,
        a.link_source
    from profiles as p
    inner join accounts as a
        on p.platform = a.platform and lower(p.handle) = a.handle
    where a.account_id is null

)

select
    k.profile_key,
    min(k.customer_id) as customer_id,
    min(k.link_source) as link_source
from claimed as k
inner join {{ ref('stg_crm__customers') }} as c on k.customer_id = c.customer_id
group by k.profile_key
having count(distinct k.customer_id) = 1
