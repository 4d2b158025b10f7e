-- Identity matching scores, between two trainings, only the profiles and customers that are
-- new or changed: the model keeps what it was trained with (the customers' cities and
-- forenames the features read, how common each name was), and each record it compared is kept
-- as compared, with a digest of the fields it was made from.
alter table scoring.identity_model
    add column vocabulary jsonb,
    -- when the model last scored new or changed records (trained_at: when it was trained)
    add column scored_at timestamptz;

create table scoring.identity_comparison_records (
    side text not null check (side in ('profile', 'customer')),
    -- the profile_key or the customer_id
    unique_id text not null,
    -- md5 of the fields the record was made from (identity/run.py, PROFILES and CUSTOMERS)
    input_digest text not null,
    platform text,
    forename text,
    surname text,
    forename_aliases text [] not null,
    handle_letters text,
    handle_forename text,
    handle_surname text,
    email_letters text,
    location text,
    location_city text,
    city text,
    country_names text [] not null,
    primary key (side, unique_id)
);

grant select, insert, update, delete, truncate
    on scoring.identity_comparison_records to transformer;
