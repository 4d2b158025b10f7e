-- The customers the CRM deleted (their newest version is a tombstone), as their last live
-- version knew them: the consent and the identifiers that stand for them once they are gone.
with

source as (

    select * from {{ source('crm', 'crm_customers') }}

),

deleted as (

    select natural_key from (
        select distinct on (natural_key)
            natural_key,
            is_deleted
        from source
        order by natural_key asc, ingest_seq desc
    ) as newest
    where is_deleted

),

last_known as (

    select distinct on (s.natural_key) s.*
    from source as s
    inner join deleted as d on s.natural_key = d.natural_key
    where not s.is_deleted
    order by s.natural_key asc, s.ingest_seq desc

),

renamed as (

    select
        -- ids
        natural_key as customer_id,
        payload ->> 'email' as email,

        -- the name, as last known (what tells an erasure request naming their email is theirs)
        payload ->> 'first_name' as first_name,
        payload ->> 'last_name' as last_name,

        -- consent, as last known
        coalesce((payload ->> 'profiling_opt_out')::boolean, false) as has_profiling_opt_out,

        -- timestamps (UTC)
        extracted_at as last_known_at

    from last_known

)

select * from renamed
