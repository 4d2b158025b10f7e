with

source as (

    select * from {{ source('scoring', 'clv_customers') }}

),

renamed as (

    select
        -- ids
        customer_id,

        -- history
        orders as order_count,
        frequency as repeat_order_count,
        mean_order_value,

        -- predictions
        probability_alive,
        expected_purchases,
        expected_order_value,
        horizon_weeks

    from source

)

select * from renamed
