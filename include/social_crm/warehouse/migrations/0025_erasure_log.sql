-- What each erasure run did, per erased customer: the social profiles it erased with them (the
-- accounts identity resolution linked, and those the CRM listed) and the rows it deleted. The
-- erasure log is, with the requests themselves (raw.crm_erasure_requests), the only place the
-- person's ids remain: the proof the request was honoured.
create table meta.erasure_log (
    erased_at timestamptz not null default now(),
    customer_id text not null,
    profile_ids text [] not null,
    rows_deleted integer not null  -- by the whole run, all its customers
);

create index erasure_log_customer_idx on meta.erasure_log (customer_id, erased_at desc);
