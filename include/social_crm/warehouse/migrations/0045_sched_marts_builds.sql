-- When each marts build started reading raw and when it published: the batches committed
-- after the start of the last build that published may not be in the marts yet, and the
-- schedule announces their raw tables again (orchestration/extraction.py, unbuilt_tables).
create table meta.marts_builds (
    started_at timestamptz primary key,
    published_at timestamptz
);

create index load_batches_finished_idx on meta.load_batches (finished_at)
    where status = 'committed';

grant select, insert, update on meta.marts_builds to transformer;
