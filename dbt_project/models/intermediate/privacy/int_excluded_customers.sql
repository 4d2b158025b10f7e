-- Customers who opted out of profiling or asked to be erased: aggregates only, no detail rows.
-- A request also reaches the person's other customer records: those whose email it names and
-- whose name is the requester's (the same last name, and first names of which one begins the
-- other: "J" and "Jane"; case, accents and punctuation aside). A record with that email and
-- another name, or named by a requester the CRM has no name for, may be someone else's: it is
-- held (`held_erasure_request`): kept out of detail marts, which is undone when the request
-- goes, but never erased; erasure records it for staff (meta.erasure_holds).
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
        first_name,
        last_name,
        has_profiling_opt_out
    from {{ ref('stg_crm__customers') }}

    union all

    select
        customer_id,
        email,
        first_name,
        last_name,
        has_profiling_opt_out
    from {{ ref('stg_crm__deleted_customers') }}

),

-- names compared as letters alone, lower case, without accents
named as (

    select
        customer_id,
        has_profiling_opt_out,
        lower(email) as email,
        regexp_replace(lower(normalize(coalesce(first_name, ''), nfkd)), '[^[:alpha:]]', '', 'g')
            as first_name,
        regexp_replace(lower(normalize(coalesce(last_name, ''), nfkd)), '[^[:alpha:]]', '', 'g')
            as last_name
    from customers

),

-- the customer records with an email a request names, and whether they are the requester's
by_email as (

    select
        c.customer_id,
        exists(
            select 1 from named as r
            where
                r.customer_id = q.customer_id
                and r.last_name <> ''
                and r.first_name <> ''
                and c.last_name = r.last_name
                and c.first_name <> ''
                and (
                    starts_with(c.first_name, r.first_name)
                    or starts_with(r.first_name, c.first_name)
                )
        ) as is_theirs
    from named as c
    inner join requests as q on c.email = any(q.named_emails)
    where c.customer_id <> q.customer_id

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
    customer_id,
    'erasure_request' as reason
from by_email
where is_theirs

union

select
    customer_id,
    'held_erasure_request' as reason
from by_email
where
    not is_theirs
    and customer_id not in (
        select t.customer_id from by_email as t
        where t.is_theirs
    )
