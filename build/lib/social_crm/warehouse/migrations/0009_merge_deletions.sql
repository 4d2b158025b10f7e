-- Records deleted from an incremental dbt table by a merge (a tombstone landed for them), so
-- that the incremental models built from that table delete them too: each reads the entries
-- newer than its own last merge. Erasures are not logged here (that would keep the erased
-- ids): the erasure step deletes from every incremental table itself.
create table meta.merge_deletions (
    relation text not null,
    record_id text not null,
    deleted_at timestamptz not null
);

create index merge_deletions_deleted_at_idx on meta.merge_deletions (deleted_at);

grant select, insert on meta.merge_deletions to transformer;
