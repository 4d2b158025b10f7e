-- The pairs (social profile, CRM customer) the model is unsure of, for CRM staff to decide:
-- both records side by side, the probability and the comparisons behind it. A pair leaves the
-- queue when its profile is linked, when staff decide on it (identity_decisions.csv in the CRM
-- drop folder; the decision wins on the next run) or when the customer's account on that
-- platform is linked otherwise. Customers who opted out of profiling or asked to be erased are
-- never shown, nor the profiles that may be theirs (int_excluded_profiles).
with

pairs as (

    select * from {{ ref('stg_scoring__identity_match_pairs') }}
    where match_probability >= {{ var('identity_review_probability') }}

),

profiles as (

    select * from {{ ref('int_social_profiles') }}

),

links as (

    select
        l.profile_key,
        l.customer_id,
        p.platform
    from {{ ref('int_identity_links') }} as l
    inner join profiles as p on l.profile_key = p.profile_key

),

queued as (

    select
        m.*,
        p.platform,
        p.profile_id,
        p.display_name,
        p.handle,
        p.location_text
    from pairs as m
    inner join profiles as p on m.profile_key = p.profile_key
    where
        not exists (
            select 1 from links as l
            where l.profile_key = m.profile_key
        )
        and not exists (
            select 1 from links as l
            where l.customer_id = m.customer_id and l.platform = p.platform
        )
        and not exists (
            select 1 from {{ ref('stg_crm__identity_decisions') }} as d
            where d.profile_key = m.profile_key and d.customer_id = m.customer_id
        )
        and not exists (
            select 1 from {{ ref('int_excluded_customers') }} as x
            where x.customer_id = m.customer_id
        )
        -- nor a profile that may be theirs (it is not shown at all)
        and not exists (
            select 1 from {{ ref('int_excluded_profiles') }} as x
            where x.profile_key = m.profile_key
        )

)

select
    q.profile_key,
    q.customer_id,
    q.platform,
    q.profile_id as account_id,
    q.display_name as profile_display_name,
    q.handle as profile_handle,
    q.location_text as profile_location,
    c.first_name as customer_first_name,
    c.last_name as customer_last_name,
    c.city as customer_city,
    c.country as customer_country,
    q.match_probability::numeric(7, 6) as match_probability,
    q.match_weight::numeric(9, 3) as match_weight,
    q.match_evidence::text as match_evidence,
    (row_number() over (
        partition by q.profile_key order by q.match_probability desc, q.customer_id asc
    ))::int as candidate_rank,
    (count(*) over (partition by q.profile_key))::int as profile_candidates,
    q.scored_at
from queued as q
inner join {{ ref('stg_crm__customers') }} as c on q.customer_id = c.customer_id
