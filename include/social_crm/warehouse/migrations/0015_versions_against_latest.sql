-- A version is new when it differs from its record's *latest* version, not from any past one:
-- a record that comes back after a tombstone, or returns to an earlier payload after one bad
-- answer (schema drift), must land again as the live version. The unique (natural_key,
-- payload_hash) constraint forbade exactly that, so it goes; landing compares each record with
-- its latest version (by this index) under the entity's advisory lock, and a rerun of the same
-- answer still lands nothing.
-- Also: the metrics the Graph API refused (see include/social_crm/extract/graph_metrics.py)
-- and the X monthly read budget, counted per calendar month.
do $$
declare
    entity text;
begin
    for entity in
        select table_name from information_schema.tables
        where table_schema = 'raw' and table_type = 'BASE TABLE'
    loop
        execute format('alter table raw.%I drop constraint if exists %s', entity,
                       entity || '_version_uq');
        execute format('create index %s on raw.%I (natural_key, ingest_seq)',
                       entity || '_key_seq_idx', entity);
    end loop;
end
$$;

create table meta.rejected_metrics (
    source text not null,
    metric text not null,
    api_version text,
    error text not null,
    first_rejected_at timestamptz not null default now(),
    last_rejected_at timestamptz not null default now(),
    primary key (source, metric)
);

create table meta.api_read_budget (
    connection_id text not null,
    month date not null,
    reads_used bigint not null default 0,
    monthly_cap bigint not null,
    exhausted_at timestamptz,
    updated_at timestamptz not null default now(),
    primary key (connection_id, month)
);

grant select on meta.rejected_metrics, meta.api_read_budget to transformer;
