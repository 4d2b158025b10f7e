-- Social profile -> CRM customer, in three tiers, each never overridden by the next:
-- 1. accounts the CRM knows (int_identity_known_accounts), confidence 1.0;
-- 2. CRM staff's accept decisions on the review queue (stg_crm__identity_decisions);
-- 3. the record linkage model's pairs (stg_scoring__identity_match_pairs), automatically only
--    when the best candidate is probable enough (var identity_auto_link_probability), no
--    other candidate of the profile is even doubtful (var identity_review_probability) and no
--    other profile on that platform claims the same customer. Never a pair CRM staff
--    rejected, nor a customer whose own account on that platform is already linked: a second
--    profile on one platform is someone else. The doubtful rest is identity_review_queue's.
with

profiles as (

    select * from {{ ref('int_social_profiles') }}

),

customers as (

    select customer_id from {{ ref('stg_crm__customers') }}

),

known_accounts as (

    select
        profile_key,
        customer_id,
        'known:' || link_source as match_method,
        1.0::float as match_confidence,
        null::float as match_weight,
        null::jsonb as match_evidence
    from {{ ref('int_identity_known_accounts') }}

),

decisions as (

    select * from {{ ref('stg_crm__identity_decisions') }}

),

accepted as (

    -- one accepted customer per profile (the newest acceptance, if staff accepted two)
    select distinct on (d.profile_key)
        d.profile_key,
        d.customer_id,
        'review:accept' as match_method,
        1.0::float as match_confidence,
        null::float as match_weight,
        null::jsonb as match_evidence
    from decisions as d
    inner join profiles as p on d.profile_key = p.profile_key
    inner join customers as c on d.customer_id = c.customer_id
    where
        d.decision = 'accept'
        and not exists (
            select 1 from known_accounts as k
            where k.profile_key = d.profile_key
        )
    order by d.profile_key asc, d.decided_at desc, d.customer_id asc

),

settled as (

    select * from known_accounts
    union all
    select * from accepted

),

-- (customer, platform) already taken by a known account or an accepted decision
taken as (

    select distinct
        s.customer_id,
        p.platform
    from settled as s
    inner join profiles as p on s.profile_key = p.profile_key

),

candidates as (

    select
        m.profile_key,
        p.platform,
        m.customer_id,
        m.match_probability,
        m.match_weight,
        m.match_evidence,
        row_number() over (
            partition by m.profile_key
            order by m.match_probability desc, m.customer_id asc
        ) as candidate_rank,
        count(*) filter (
            where m.match_probability >= {{ var('identity_review_probability') }}
        ) over (partition by m.profile_key) as doubtful_candidates
    from {{ ref('stg_scoring__identity_match_pairs') }} as m
    inner join profiles as p on m.profile_key = p.profile_key
    inner join customers as c on m.customer_id = c.customer_id
    where
        not exists (
            select 1 from settled as s
            where s.profile_key = m.profile_key
        )
        and not exists (
            select 1 from taken as t
            where t.customer_id = m.customer_id and t.platform = p.platform
        )
        and not exists (
            select 1 from decisions as d
            where
                d.profile_key = m.profile_key
                and d.customer_id = m.customer_id
                and d.decision = 'reject'
        )

),

confident as (

    select
        *,
        count(*) over (partition by customer_id, platform) as profiles_claiming_customer
    from candidates
    where
        candidate_rank = 1
        and match_probability >= {{ var('identity_auto_link_probability') }}
        and doubtful_candidates = 1

),

by_model as (

    select
        profile_key,
        customer_id,
        'model' as match_method,
        match_probability as match_confidence,
        match_weight,
        match_evidence
    from confident
    where profiles_claiming_customer = 1

)

select * from settled
union all
select * from by_model
