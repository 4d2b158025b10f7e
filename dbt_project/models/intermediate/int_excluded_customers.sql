-- Customers who opted out of profiling or asked to be erased: aggregates only, no detail rows.
-- A request also reaches the person's other customer records: those whose email it names.
with

requests as (

    select * from {{ ref('stg_crm__erasure_requests') }}

)

select
    customer_id,
    'profiling_opt_out' as reason
from {{ ref('stg_crm__customers') }}
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
from {{ ref('stg_crm__customers') }} as c
inner join requests as r on c.email = any(r.named_emails)
