-- The social profiles the CRM already knows (customer_social_accounts.csv: social login,
-- loyalty sign-up, an agent's link), each with its customer: matched by account id, or by X
-- handle where the CRM has no id. An account the CRM gives to two customers is nobody's here
-- (a data error for CRM staff). Read by int_identity_links (first tier) and by the identity
-- matching step (these are the true pairs its model learns from).
select
    p.profile_key,
    min(a.customer_id) as customer_id,
    min(a.link_source) as link_source
from {{ ref('int_social_profiles') }} as p
inner join {{ ref('stg_crm__customer_social_accounts') }} as a
    on
        p.platform = a.platform
        and (
            p.profile_id = a.account_id
            or (a.account_id is null and lower(p.handle) = a.handle)
        )
inner join {{ ref('stg_crm__customers') }} as c on a.customer_id = c.customer_id
group by p.profile_key
having count(distinct a.customer_id) = 1
