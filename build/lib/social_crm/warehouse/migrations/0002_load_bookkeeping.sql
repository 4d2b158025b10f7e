-- One row per landing batch: what was read, what landed, what was refused.
create table meta.load_batches (
    batch_id uuid primary key,
    source text not null,
    entity text not null,
    interval_start timestamptz,
    interval_end timestamptz,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running'
        check (status in ('running', 'committed', 'failed')),
    records_in bigint not null default 0,
    records_landed bigint not null default 0,
    records_duplicate bigint not null default 0,
    records_quarantined bigint not null default 0,
    records_tombstoned bigint not null default 0,
    error text
);

create index load_batches_source_entity_idx
    on meta.load_batches (source, entity, started_at desc);

-- Per source and entity: how far extraction got. Moves only when its batch commits.
create table meta.watermarks (
    source text not null,
    entity text not null,
    cursor_value text,
    since_id text,
    last_event_at timestamptz,
    batch_id uuid references meta.load_batches (batch_id),
    updated_at timestamptz not null default now(),
    primary key (source, entity)
);

-- Records that could not be parsed or validated, kept with the reason and the raw text.
create table raw_quarantine.records (
    id bigserial primary key,
    source text not null,
    entity text not null,
    batch_id uuid,
    reason text not null,
    raw_text text not null,
    quarantined_at timestamptz not null default now()
);

create index records_batch_idx on raw_quarantine.records (batch_id);
