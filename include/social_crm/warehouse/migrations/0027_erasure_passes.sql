-- Each erasure pass and what it covered: a fingerprint of the tables and conditions erasure
-- deletes by. A customer an earlier pass of the same coverage read whole (logged with that
-- pass and the same profiles) is settled: a later pass reads, for them, only the batches landed
-- and the rows merged from the previous pass's `reads_from` on. A new request, a newly linked
-- profile or a change of coverage is read whole.
create table meta.erasure_passes (
    pass_id bigserial primary key,
    started_at timestamptz not null default now(),
    -- the start of the oldest transaction open when the pass began: what the pass could not
    -- see was written by a transaction that started then or later
    reads_from timestamptz not null,
    coverage text not null,
    customers_read_whole integer not null,
    rows_deleted integer not null
);

-- the pass that logged each customer (null: logged before passes were recorded)
alter table meta.erasure_log add column pass_id bigint references meta.erasure_passes (pass_id);
