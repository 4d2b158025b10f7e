with

source as (

    {{ latest_versions(source('crm', 'crm_erasure_requests')) }}

),

renamed as (

    select
        -- ids
        natural_key as customer_id,

        -- what the request names as the person's own
        -- (include/social_crm/extract/erasure_identifiers.py)
        array(select jsonb_array_elements_text(payload -> 'facebook_ids'))
            as named_facebook_ids,
        array(select jsonb_array_elements_text(payload -> 'x_ids')) as named_x_ids,
        array(select jsonb_array_elements_text(payload -> 'x_handles')) as named_x_handles,
        array(select jsonb_array_elements_text(payload -> 'emails')) as named_emails,

        -- timestamps (UTC)
        event_at as requested_at

    from source

)

select * from renamed
