-- X pay-per-use (docs.x.com/x-api/getting-started/pricing): each resource read is charged once
-- per UTC day, so what a run costs depends on what was read earlier that day.
-- meta.x_read_ledger: the resources charged today (a digest of type and id: no identifier is
-- kept), one row a resource; rows of past days are pruned at the start of each run.
-- meta.api_spend: what the API charged, by connection, hour (the API's clock) and price key;
-- the month's spend and its hourly rate are read from it (check-connections, the budget).
create table meta.x_read_ledger (
    connection_id text not null,
    day date not null,
    resource_key bytea not null,
    primary key (connection_id, day, resource_key)
);

create table meta.api_spend (
    connection_id text not null,
    spent_hour timestamptz not null,
    price_key text not null,
    resources bigint not null default 0,
    requests bigint not null default 0,
    usd numeric(14, 6) not null default 0,
    primary key (connection_id, spent_hour, price_key)
);

alter table meta.api_read_budget
    add column spent_usd numeric(14, 6) not null default 0,
    add column budget_usd numeric(14, 2);

grant select on meta.api_spend to transformer;
