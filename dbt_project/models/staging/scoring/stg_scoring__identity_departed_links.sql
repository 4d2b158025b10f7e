with

source as (

    select * from {{ source('scoring', 'identity_departed_links') }}

),

renamed as (

    select
        -- ids
        customer_id,
        profile_key,

        -- what linked them: a link ('link:<match_method>') or one of the model's pairs
        basis,
        match_probability,
        best_probability,

        -- timestamps (UTC)
        recorded_at

    from source

)

select * from renamed
