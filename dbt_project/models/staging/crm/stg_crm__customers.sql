with

source as (

    {{ latest_versions(source('crm', 'crm_customers')) }}

),

renamed as (

    select
        -- ids
        natural_key as customer_id,
        payload ->> 'email' as email,

        -- person
        payload ->> 'first_name' as first_name,
        payload ->> 'last_name' as last_name,
        (payload ->> 'birth_year')::int as birth_year,
        payload ->> 'gender' as gender,
        payload ->> 'country' as country,
        payload ->> 'city' as city,
        payload ->> 'job_title' as job_title,

        -- consent
        (payload ->> 'marketing_opt_in')::boolean as has_marketing_opt_in,
        (payload ->> 'profiling_opt_out')::boolean as has_profiling_opt_out

    from source

)

select * from renamed
