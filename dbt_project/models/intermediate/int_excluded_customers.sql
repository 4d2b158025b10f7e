-- Customers who opted out of profiling or asked to be erased: aggregates only, no detail rows.
select
    customer_id,
    'profiling_opt_out' as reason
from {{ ref('stg_crm__customers') }}
where has_profiling_opt_out

union

select
    customer_id,
    'erasure_request' as reason
from {{ ref('stg_crm__erasure_requests') }}
