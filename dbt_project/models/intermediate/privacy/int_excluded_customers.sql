-- Customers who opted out of profiling or asked to be erased: aggregates only, no detail rows.
-- A request also reaches the person's other customer records: those whose email it names.
-- A customer the CRM deleted keeps their last known consent: an opt-out outlives the record,
-- and a request naming their last known email reaches them.
with

requests as (

    select * from {{ ref('stg_crm__erasure_requests') }}

),

customers as (

    select
        customer_id,
        email,
        has_profiling_opt_out
    from {{ ref('stg_crm__customers') }}

    union all

    select
        customer_id,
        email,
        has_profiling_opt_out
    from {{ ref('stg_crm__deleted_customers') }}

)

select
    customer_id,
    'profiling_opt_out' as reason
from customers
where has_profiling_opt_out

union

select
    customer_id,
    'erasure_request' as reason
from requests

union

select
    c.customer_id,
    'erasure_request' as reason
from customers as c
inner join requests as r on c.email = any(r.named_emails)
