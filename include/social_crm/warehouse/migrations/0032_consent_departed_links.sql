-- What linked a customer to social profiles while they were a customer, kept once the CRM
-- deletes them (a full customers export leaves them out): the identity links and the record
-- linkage model's pairs as last computed before the matching step drops them. An opt-out or an
-- erasure request of a deleted customer still reaches these profiles (int_excluded_profiles).
-- Written by the matching step (identity/run.py), dropped for a customer who comes back, and
-- deleted with the rest of an erased customer's data.
create table scoring.identity_departed_links (
    customer_id text not null,
    profile_key text not null,
    -- 'link:<match_method>' for a link, 'model' for one of the model's pairs
    basis text not null,
    -- the model's probability for the pair, and the best of the profile's pairs then (null
    -- for a link that was not the model's)
    match_probability double precision,
    best_probability double precision,
    recorded_at timestamptz not null,
    primary key (customer_id, profile_key, basis)
);

grant select, insert, update, delete, truncate
    on scoring.identity_departed_links to transformer;
