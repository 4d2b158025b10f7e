-- What erasure requests name that may be someone else's, held for staff rather than erased:
-- a customer record with an email the request names and another name than the requester's
-- (int_excluded_customers), an account the request names that identity resolution links to,
-- or staff accepted for, another customer (int_excluded_profiles.is_held). Held means kept out
-- of detail marts and never deleted; each erasure pass rewrites the holds of the requests it
-- reads. Staff settle one by filing the request under the held customer's id, recording the
-- account as the requester's, or asking the requester to withdraw it.
create table meta.erasure_holds (
    -- the customer whose request named it
    customer_id text not null,
    -- 'customer:<customer_id>' or '<platform>:<profile_id>'
    held_key text not null,
    reason text not null,
    first_held_at timestamptz not null default now(),
    last_held_at timestamptz not null default now(),
    primary key (customer_id, held_key)
);
