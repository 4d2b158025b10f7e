-- How well the latest CLV fit predicts: the model fitted on the orders before the holdout
-- (the last SOCIAL_CRM_CLV_HOLDOUT_WEEKS of the observation) predicts each customer's purchases
-- in it; by the customers' repeat purchases before the holdout, the predicted and actual
-- purchases per customer (the BTYD literature's calibration-vs-holdout plot). The whole
-- holdout's relative error is on every row; holdout_far_off (dbt vars clv_max_holdout_error,
-- clv_min_holdout_purchases) stops the marts gate.
with

calibration as (

    select * from {{ ref('stg_scoring__clv_calibration') }}

),

fits as (

    select * from {{ ref('stg_scoring__clv_fits') }}

),

joined as (

    select
        c.frequency_bucket,
        c.bucket_order,
        c.customers,
        c.predicted_purchases,
        c.actual_purchases,
        f.fitted_at,
        f.purchase_period,
        f.holdout_from,
        f.observed_until,
        f.holdout_predicted,
        f.holdout_actual,
        (f.holdout_predicted - f.holdout_actual) / nullif(f.holdout_actual, 0) as holdout_error
    from calibration as c
    inner join fits as f on c.fitted_at = f.fitted_at

)

select
    frequency_bucket,
    bucket_order,
    customers,
    round(predicted_purchases::numeric, 2)::numeric(14, 2) as predicted_purchases,
    actual_purchases,
    round((predicted_purchases / customers)::numeric, 4)::numeric(12, 4)
        as predicted_per_customer,
    round((actual_purchases::float / customers)::numeric, 4)::numeric(12, 4)
        as actual_per_customer,
    fitted_at,
    purchase_period,
    holdout_from,
    observed_until,
    round(holdout_error::numeric, 4)::numeric(12, 4) as holdout_error,
    coalesce(
        abs(holdout_error) > {{ var('clv_max_holdout_error') }}
        and holdout_actual >= {{ var('clv_min_holdout_purchases') }},
        false
    ) as holdout_far_off
from joined
