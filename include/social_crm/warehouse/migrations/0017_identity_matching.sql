-- Identity resolution beyond what the CRM knows: the record linkage model's scored pairs
-- (social profile, CRM customer) and the model itself, written by the matching step and read
-- by dbt; and the decisions CRM staff take on the review queue, landed from the drop folder.
create table scoring.identity_match_pairs (
    profile_key text not null,
    customer_id text not null,
    match_weight double precision not null,
    match_probability double precision not null,
    -- per comparison (forename, surname, location, handle): the level it fell in and its weight
    evidence jsonb not null,
    scored_at timestamptz not null,
    primary key (profile_key, customer_id)
);

create table scoring.identity_model (
    trained_at timestamptz not null,
    profiles integer not null,
    customers integer not null,
    pairs_kept integer not null,
    -- the trained model (Splink settings with m and u probabilities): what decided every pair
    parameters jsonb not null
);

grant select, insert, update, delete, truncate
    on scoring.identity_match_pairs, scoring.identity_model to transformer;

create table raw.crm_identity_decisions (like raw.crm_orders including all);
alter table raw.crm_identity_decisions
    add constraint crm_identity_decisions_batch_fk foreign key (batch_id)
    references meta.load_batches (batch_id);
