with

source as (

    select * from {{ source('scoring', 'clv_calibration') }}

),

renamed as (

    select
        -- ids
        frequency_bucket,
        fitted_at,

        -- the bucket's customers and their holdout purchases
        bucket_order,
        customers,
        predicted_purchases,
        actual_purchases

    from source

)

select * from renamed
