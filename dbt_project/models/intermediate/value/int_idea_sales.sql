-- Sales of products born from a customer's #idea message, credited to the message's author.
with

idea_products as (

    select * from {{ ref('stg_crm__products') }}
    where idea_message_id is not null

),

authors as (

    select
        e.message_id,
        p.person_id,
        p.customer_id
    from {{ ref('int_engagements_unified') }} as e
    inner join {{ ref('int_people_profiles') }} as p
        on e.platform || ':' || e.profile_id = p.profile_key
    where e.message_id is not null

),

sales as (

    select
        product_id,
        count(*) as order_count,
        sum(amount) as sales_amount
    from {{ ref('stg_crm__orders') }}
    group by product_id

)

select
    i.product_id,
    i.idea_message_id,
    a.person_id,
    a.customer_id,
    i.launched_at,
    coalesce(s.order_count, 0) as order_count,
    coalesce(s.sales_amount, 0) as sales_amount
from idea_products as i
inner join authors as a on i.idea_message_id = a.message_id
left join sales as s on i.product_id = s.product_id
