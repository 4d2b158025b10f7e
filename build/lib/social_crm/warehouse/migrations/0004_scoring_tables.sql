-- Outputs of the Python scoring step (influence, CLV), read by dbt as sources.
create schema if not exists scoring;

create table scoring.influence (
    platform text not null,
    profile_id text not null,
    influence double precision not null,
    followers_in_graph integer not null,
    scored_at timestamptz not null,
    primary key (platform, profile_id)
);

create table scoring.clv_customers (
    customer_id text primary key,
    orders integer not null,
    frequency integer not null,
    recency_weeks double precision not null,
    age_weeks double precision not null,
    mean_order_value numeric(12, 2) not null,
    probability_alive double precision not null,
    expected_purchases double precision not null,
    expected_order_value double precision not null,
    horizon_weeks integer not null,
    scored_at timestamptz not null
);

create table scoring.clv_model (
    model text not null,
    parameter text not null,
    value double precision not null,
    customers integer not null,
    fitted_at timestamptz not null,
    primary key (model, parameter)
);
