with

source as (

    select * from {{ source('scoring', 'clv_fits') }}

),

renamed as (

    select
        -- ids
        fitted_at,

        -- what the fit read
        purchase_period,
        observed_until,
        horizon_weeks,
        customers,
        parameters_source,

        -- its holdout calibration
        holdout_from,
        holdout_customers,
        holdout_predicted,
        holdout_actual

    from source

)

select * from renamed
