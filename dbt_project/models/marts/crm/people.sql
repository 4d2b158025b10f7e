-- One row per person: every CRM customer (with linked profiles) and every unlinked social
-- profile as a prospect. Opted-out and erased customers are left out.
with

customers as (

    select * from {{ ref('stg_crm__customers') }}
    where customer_id not in (select e.customer_id from {{ ref('int_excluded_customers') }} as e)

),

people as (

    select * from {{ ref('int_people_profiles') }}
    where not is_excluded_from_details

),

profiles as (

    select * from {{ ref('int_social_profiles') }}

),

per_person as (

    select
        pp.person_id,
        min(pp.profile_id) filter (where pp.platform = 'facebook') as facebook_profile_id,
        min(pp.profile_id) filter (where pp.platform = 'x') as x_profile_id,
        min(pr.handle) filter (where pp.platform = 'x') as x_handle,
        min(pr.display_name) as profile_name,
        min(pr.location_text) as profile_location,
        max(pr.followers_count) as network_size,
        max(i.influence) as influence
    from people as pp
    inner join profiles as pr on pp.profile_key = pr.profile_key
    left join {{ ref('stg_scoring__influence') }} as i on pp.profile_key = i.profile_key
    group by pp.person_id

),

engagement as (

    select
        person_id,
        -- a reaction is an engagement with no message that is not an Instagram tag
        count(*) filter (where message_id is null and engagement_type <> 'tag')
            as reactions_count,
        count(*) filter (where engagement_type = 'comment') as comments_count,
        count(*) filter (where engagement_type = 'reply') as replies_count,
        count(*) filter (where engagement_type = 'visitor_post') as visitor_posts_count,
        count(*) filter (where engagement_type = 'mention') as mentions_count,
        count(*) as engagements_count,
        count(*) filter (where sentiment = 'positive') as positive_messages,
        count(*) filter (where sentiment = 'negative') as negative_messages,
        round(sum(p_positive)::numeric, 6)::double precision as expected_positive_messages,
        round(sum(p_negative)::numeric, 6)::double precision as expected_negative_messages,
        max(occurred_at) as last_engaged_at
    from {{ ref('engagements') }}
    -- every brand of ours counts (brands.csv may list more than one Page of ours): a person's
    -- messages to any of them are messages to us
    where
        brand_key in (
            select b.brand_key from {{ ref('brands') }} as b
            where b.is_ours
        )
    group by person_id

),

everyone as (

    select
        c.customer_id as person_id,
        c.customer_id,
        true as is_customer,
        c.first_name || ' ' || c.last_name as full_name,
        c.email,
        c.birth_year,
        c.gender,
        c.country,
        c.city,
        c.job_title,
        c.has_marketing_opt_in
    from customers as c

    union all

    select
        pp.person_id,
        null as customer_id,
        false as is_customer,
        pp.profile_name as full_name,
        null as email,
        null as birth_year,
        null as gender,
        null as country,
        pp.profile_location as city,
        null as job_title,
        false as has_marketing_opt_in
    from per_person as pp
    where pp.person_id like 'prospect:%'

)

select
    e.person_id,
    e.customer_id,
    e.is_customer,
    e.full_name,
    e.email,
    e.birth_year,
    e.gender,
    e.country,
    e.city,
    e.job_title,
    p.facebook_profile_id,
    p.x_profile_id,
    p.x_handle,
    g.last_engaged_at,
    e.has_marketing_opt_in,
    case
        when e.birth_year is null then null
        when extract(year from current_date) - e.birth_year < 25 then '18-24'
        when extract(year from current_date) - e.birth_year < 35 then '25-34'
        when extract(year from current_date) - e.birth_year < 45 then '35-44'
        when extract(year from current_date) - e.birth_year < 55 then '45-54'
        when extract(year from current_date) - e.birth_year < 65 then '55-64'
        else '65+'
    end as age_band,
    coalesce(p.network_size, 0) as network_size,
    coalesce(p.influence, 0) as influence,
    coalesce(g.reactions_count, 0) as reactions_count,
    coalesce(g.comments_count, 0) as comments_count,
    coalesce(g.replies_count, 0) as replies_count,
    coalesce(g.visitor_posts_count, 0) as visitor_posts_count,
    coalesce(g.mentions_count, 0) as mentions_count,
    coalesce(g.engagements_count, 0) as engagements_count,
    coalesce(g.positive_messages, 0) as positive_messages,
    coalesce(g.negative_messages, 0) as negative_messages,
    coalesce(g.expected_positive_messages, 0) as expected_positive_messages,
    coalesce(g.expected_negative_messages, 0) as expected_negative_messages
from everyone as e
left join per_person as p on e.person_id = p.person_id
left join engagement as g on e.person_id = g.person_id
