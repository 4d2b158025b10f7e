-- CLV on the BTYD papers' inputs (purchase periods, repeat purchases), with a holdout
-- calibration at every fit. A customer's frequency now counts repeat purchase periods, and the
-- value column holds the mean of the repeat purchases (Gamma-Gamma's input).
alter table scoring.clv_customers rename column mean_order_value to repeat_purchase_value;
-- the 90% credible interval of the expected purchases and of predicted CLV, from the models'
-- parameter uncertainty (scoring/clv.py `intervals`)
alter table scoring.clv_customers
    add column expected_purchases_low double precision,
    add column expected_purchases_high double precision,
    add column predicted_clv_low double precision,
    add column predicted_clv_high double precision;

-- one row per fit: what it read, where its parameters came from, how its holdout went
create table scoring.clv_fits (
    fitted_at timestamptz primary key,
    purchase_period text not null,
    observed_until timestamptz not null,
    horizon_weeks integer not null,
    customers integer not null,
    -- fitted | previous (the fit failed: the last good parameters, with a warning)
    parameters_source text not null check (parameters_source in ('fitted', 'previous')),
    -- the calibration: the model fitted on the orders before holdout_from, its predicted
    -- purchases of [holdout_from, observed_until) against the actual ones (null: too little
    -- history before holdout_from to fit)
    holdout_from timestamptz not null,
    holdout_customers integer,
    holdout_predicted double precision,
    holdout_actual integer
);

-- the latest calibration by the customers' purchase frequency before the holdout (what the
-- calibration-vs-holdout plot of the BTYD literature shows)
create table scoring.clv_calibration (
    frequency_bucket text primary key,
    bucket_order integer not null,
    customers integer not null,
    predicted_purchases double precision not null,
    actual_purchases integer not null,
    fitted_at timestamptz not null
);

grant select, insert, update, delete, truncate on scoring.clv_fits, scoring.clv_calibration
to transformer;
