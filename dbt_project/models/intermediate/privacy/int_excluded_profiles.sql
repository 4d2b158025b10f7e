-- The social profiles that may be an excluded customer's (opted out of profiling or asked to be
-- erased), each with that customer: linking is probabilistic, so the exclusion errs on the side
-- of the person and reaches
-- 1. the profile linked to them (int_identity_links),
-- 2. every account the CRM knows for them (customer_social_accounts, by id or X handle, even
--    one it gives to two customers) and every pair CRM staff accepted,
-- 3. every profile the record linkage model scores for them in the review band or above (var
--    identity_review_probability), and every profile whose most probable customer they are
--    from var privacy_exclusion_probability up (a tie counts: namesakes share a probability),
--    unless CRM staff rejected the pair or the profile is settled as another customer's (a
--    known account, an accepted pair). Below the review band a customer who is not the
--    profile's likeliest is most often a namesake of its owner: on the demo world's pairs,
--    every pair of an opted-out customer from 0.02 up reached the same of their profiles as
--    the likeliest's alone, and 42 other people's profiles instead of 37 (of 4,275),
-- 4. every account the erasure request names (ids, X handles, Instagram usernames, profile
--    URLs),
-- 5. for a customer the CRM deleted, what reached them by 1. and 3. while they were a customer,
--    as last computed (stg_scoring__identity_departed_links): their links, and the model's
--    pairs by the same probabilities,
-- 6. every Instagram profile of the same account as one reached above: every username seen
--    with an Instagram-scoped id seen with its username (renamed, or a username two accounts
--    used), by the rule erasure follows too (meta.instagram_accounts_reached); a profile
--    reached so from one only a request names is reached as named in it.
-- but never an account the CRM knows as another customer's alone, nor a tracked brand's own.
-- An account reached only because the request names it, that identity resolution links to
-- another customer (the model, staff's accept, the CRM) or staff accepted for another, may be
-- someone else's: it is held (is_held): kept out of detail marts, as that is undone when the
-- request goes, but never erased; erasure records it for staff (meta.erasure_holds). Not when
-- that other customer is erased too (the person's other record).
-- Detail marts leave these profiles out (int_people_profiles.is_excluded_from_details) and
-- erasure deletes the data of those of erased customers. What it costs other people is
-- measured against the simulator's truth (README, "Consent").
{#- a pair of the model (`pair`: profile_key, customer_id, match_probability,
    best_probability) that may be the customer's: in the review band, or their likeliest
    customer's from the privacy threshold up; not a profile settled as another customer's, nor
    a pair staff rejected -#}
{% set pair_may_be_theirs %}
(
    (
        pair.match_probability >= {{ var('identity_review_probability') }}
        or (
            pair.match_probability >= {{ var('privacy_exclusion_probability') }}
            and pair.match_probability = pair.best_probability
        )
    )
    and not exists (
        select 1 from settled as s
        where s.profile_key = pair.profile_key
    )
    and not exists (
        select 1 from decisions as r
        where
            r.profile_key = pair.profile_key
            and r.customer_id = pair.customer_id
            and r.decision = 'reject'
    )
)
{% endset %}

with

profiles as (

    select * from {{ ref('int_social_profiles') }}

),

excluded as (

    -- one row per customer: erasure wins over opt-out (what the data of theirs must undergo)
    select
        customer_id,
        min(reason) as reason
    from {{ ref('int_excluded_customers') }}
    group by customer_id

),

accounts as (

    select * from {{ ref('stg_crm__customer_social_accounts') }}

),

-- the newest decision on each pair
decisions as (

    select distinct on (profile_key, customer_id)
        profile_key,
        customer_id,
        decision
    from {{ ref('stg_crm__identity_decisions') }}
    order by profile_key asc, customer_id asc, decided_at desc

),

-- profiles whose customer the CRM or its staff settled: the model's other pairs are not them
settled as (

    select profile_key from {{ ref('int_identity_links') }}
    where match_method <> 'model'

),

-- the excluded customers' pairs the model scored, then their profiles' best probability (read
-- for those profiles only, by the pairs' key)
excluded_pairs as (

    select m.* from {{ ref('stg_scoring__identity_match_pairs') }} as m
    where
        m.customer_id in (select x.customer_id from excluded as x)
        and m.match_probability >= least(
            {{ var('privacy_exclusion_probability') }}, {{ var('identity_review_probability') }}
        )

),

best as (

    select
        b.profile_key,
        max(b.match_probability) as best_probability
    from {{ ref('stg_scoring__identity_match_pairs') }} as b
    where b.profile_key in (select e.profile_key from excluded_pairs as e)
    group by b.profile_key

),

pairs as (

    select
        e.*,
        b.best_probability
    from excluded_pairs as e
    inner join best as b on e.profile_key = b.profile_key

),

requests as (

    select * from {{ ref('stg_crm__erasure_requests') }}

),

departed as (

    select * from {{ ref('stg_scoring__identity_departed_links') }}

),

-- the accounts each erasure request names, by id, X handle or Instagram username
named as (

    select
        customer_id,
        'facebook' as platform,
        unnest(named_facebook_ids) as profile_id,
        null as handle
    from requests

    union all

    select
        customer_id,
        'x' as platform,
        unnest(named_x_ids) as profile_id,
        null as handle
    from requests

    union all

    select
        customer_id,
        'x' as platform,
        null as profile_id,
        unnest(named_x_handles) as handle
    from requests

    union all

    -- an Instagram profile's id is its username, in lower case
    select
        customer_id,
        'instagram' as platform,
        unnest(named_instagram_usernames) as profile_id,
        null as handle
    from requests

),

-- the customers identity resolution links each profile to, or staff accepted it for
others as (

    select
        profile_key,
        customer_id
    from {{ ref('int_identity_links') }}

    union

    select
        profile_key,
        customer_id
    from decisions
    where decision = 'accept'

),

candidates as (

    select
        profile_key,
        customer_id,
        'link:' || match_method as basis
    from {{ ref('int_identity_links') }}

    union all

    -- two equality joins, not one join on either condition (a join on an `or` cannot hash)
    select
        p.profile_key,
        a.customer_id,
        'known_account' as basis
    from accounts as a
    inner join profiles as p on a.platform = p.platform and a.account_id = p.profile_id

    union all

    select
        p.profile_key,
        a.customer_id,
        'known_account' as basis
    from accounts as a
    inner join profiles as p on a.platform = p.platform and a.handle = lower(p.handle)
    where a.account_id is null

    union all

    select
        profile_key,
        customer_id,
        'review:accept' as basis
    from decisions
    where decision = 'accept'

    union all

    select
        pair.profile_key,
        pair.customer_id,
        'model' as basis
    from pairs as pair
    where {{ pair_may_be_theirs }}

    union all

    select
        p.profile_key,
        n.customer_id,
        'named_in_request' as basis
    from named as n
    inner join profiles as p on n.platform = p.platform and n.profile_id = p.profile_id

    union all

    select
        p.profile_key,
        n.customer_id,
        'named_in_request' as basis
    from named as n
    inner join profiles as p on n.platform = p.platform and n.handle = lower(p.handle)

    union all

    select
        pair.profile_key,
        pair.customer_id,
        'departed:' || pair.basis as basis
    from departed as pair
    where pair.basis like 'link:%' or ({{ pair_may_be_theirs }})

),

-- 6. the same Instagram accounts' other usernames (an Instagram profile's id is its username)
same_account as (

    select
        c.customer_id,
        c.basis,
        r.reached as profile_id
    from candidates as c
    inner join meta.instagram_accounts_reached(
        array(
            select distinct split_part(i.profile_key, ':', 2) from candidates as i
            where
                i.profile_key like 'instagram:%'
                and i.customer_id in (select e.customer_id from excluded as e)
        ),
        array(select lower(b.instagram_username) from {{ ref('brands') }} as b),
        array(select b.instagram_user_id from {{ ref('brands') }} as b)
    ) as r on c.profile_key = 'instagram:' || r.seed
    where r.reached <> r.seed

),

reached as (

    select * from candidates

    union all

    select
        p.profile_key,
        s.customer_id,
        case
            when s.basis = 'named_in_request' then s.basis else 'same_instagram_account'
        end as basis
    from same_account as s
    inner join profiles as p on p.platform = 'instagram' and s.profile_id = p.profile_id

)

select
    c.profile_key,
    c.customer_id,
    x.reason,
    -- why the profile may be theirs (every reason found)
    string_agg(distinct c.basis, ', ' order by c.basis) as bases,
    bool_and(c.basis = 'named_in_request') and exists (
        select 1 from others as o
        where
            o.profile_key = c.profile_key
            and o.customer_id <> c.customer_id
            and o.customer_id not in (
                select e.customer_id from excluded as e
                where e.reason = 'erasure_request'
            )
    ) as is_held
from reached as c
inner join excluded as x on c.customer_id = x.customer_id
-- never what we can tell is someone else's, whatever reached it (a request, a decision, the
-- model): an account the CRM knows as another customer's alone, a tracked brand's own
where
    not exists (
        select 1 from {{ ref('int_identity_known_accounts') }} as k
        where k.profile_key = c.profile_key and k.customer_id <> c.customer_id
    )
    and c.profile_key not in (
        select 'facebook:' || b.facebook_page_id from {{ ref('brands') }} as b
        union all
        select 'x:' || b.x_user_id from {{ ref('brands') }} as b
        union all
        select 'instagram:' || lower(b.instagram_username) from {{ ref('brands') }} as b
    )
group by c.profile_key, c.customer_id, x.reason
