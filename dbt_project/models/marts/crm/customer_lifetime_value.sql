-- Social CLV per customer: predicted purchase value (BG/NBD x Gamma-Gamma over the horizon)
-- + influence x network size + influence x community size + sales of products born from the
-- customer's #idea messages, each weighted by a dbt var.
-- Community size: the distinct people who answered the customer's messages (any brand).
with

customers as (

    select * from {{ ref('people') }}
    where is_customer

),

scores as (

    select * from {{ ref('stg_scoring__clv_customers') }}

),

community as (

    -- distinct people who answered the customer's messages (int_interactions), either platform
    select
        answered.person_id as customer_id,
        count(distinct answering.person_id) as community_size
    from {{ ref('int_interactions') }} as i
    inner join {{ ref('int_people_profiles') }} as answered
        on i.platform || ':' || i.target_profile_id = answered.profile_key
    inner join {{ ref('int_people_profiles') }} as answering
        on i.platform || ':' || i.source_profile_id = answering.profile_key
    where
        answering.person_id <> answered.person_id
        -- not through a profile left out of the details (it may be an excluded customer's)
        and not answered.is_excluded_from_details
    group by answered.person_id

),

ideas as (

    select
        customer_id,
        sum(sales_amount) as idea_sales
    from {{ ref('int_idea_sales') }}
    where customer_id is not null
    group by customer_id

),

valued as (

    select
        c.customer_id,
        c.influence,
        c.network_size,
        coalesce(s.order_count, 0) as order_count,
        coalesce(s.probability_alive, 0) as probability_alive,
        coalesce(s.expected_purchases, 0) as expected_purchases,
        coalesce(s.expected_order_value, 0) as expected_order_value,
        coalesce(s.expected_purchases * s.expected_order_value, 0) as predicted_clv,
        coalesce(s.expected_purchases_low, 0) as expected_purchases_low,
        coalesce(s.expected_purchases_high, 0) as expected_purchases_high,
        coalesce(s.predicted_clv_low, 0) as predicted_clv_low,
        coalesce(s.predicted_clv_high, 0) as predicted_clv_high,
        coalesce(s.horizon_weeks, 52) as horizon_weeks,
        coalesce(m.community_size, 0) as community_size,
        coalesce(i.idea_sales, 0) as idea_sales
    from customers as c
    left join scores as s on c.customer_id = s.customer_id
    left join community as m on c.customer_id = m.customer_id
    left join ideas as i on c.customer_id = i.customer_id

),

-- each part of social CLV in money, rounded to the cent, so that the parts a BI user reads
-- add up to the total shown: the weights are applied here and nowhere else
parts as (

    select
        *,
        round(predicted_clv::numeric, 2) as predicted_part,
        round(({{ var('clv_weight_network') }} * influence * network_size)::numeric, 2)
            as network_part,
        round(({{ var('clv_weight_community') }} * influence * community_size)::numeric, 2)
            as community_part,
        round(({{ var('clv_weight_ideas') }} * idea_sales)::numeric, 2) as ideas_part
    from valued

)

select
    customer_id,
    order_count,
    probability_alive,
    expected_purchases,
    expected_purchases_low,
    expected_purchases_high,
    expected_order_value,
    horizon_weeks,
    influence,
    network_size,
    community_size,
    predicted_part::numeric(14, 2) as predicted_clv,
    round(predicted_clv_low::numeric, 2)::numeric(14, 2) as predicted_clv_low,
    round(predicted_clv_high::numeric, 2)::numeric(14, 2) as predicted_clv_high,
    round((influence * network_size)::numeric, 4)::numeric(18, 4) as influence_x_network,
    round((influence * community_size)::numeric, 4)::numeric(18, 4) as influence_x_community,
    network_part::numeric(14, 2) as clv_from_network,
    community_part::numeric(14, 2) as clv_from_community,
    ideas_part::numeric(14, 2) as clv_from_ideas,
    (predicted_part + network_part + community_part + ideas_part)::numeric(14, 2) as social_clv,
    idea_sales::numeric(14, 2) as idea_sales
from parts
