with

source as (

    select * from {{ source('scoring', 'clv_customers') }}

),

renamed as (

    select
        -- ids
        customer_id,

        -- history, as the models read it (purchase periods: customer_value/clv.py)
        orders as order_count,
        frequency as repeat_purchase_count,
        repeat_purchase_value,

        -- predictions
        probability_alive,
        expected_purchases,
        expected_order_value,
        horizon_weeks,

        -- their 90% credible intervals (the models' parameter uncertainty)
        expected_purchases_low,
        expected_purchases_high,
        predicted_clv_low,
        predicted_clv_high

    from source

)

select * from renamed
