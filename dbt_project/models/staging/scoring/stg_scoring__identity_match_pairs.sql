with

source as (

    select * from {{ source('scoring', 'identity_match_pairs') }}

),

renamed as (

    select
        -- ids
        profile_key,
        customer_id,

        -- the model's verdict and its evidence
        match_probability,
        match_weight,
        evidence as match_evidence,

        -- timestamps (UTC)
        scored_at

    from source

)

select * from renamed
