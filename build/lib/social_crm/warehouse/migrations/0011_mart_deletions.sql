-- Publishing an incremental mart applies only what changed in marts_build since the last
-- publish: the rows merged since then and the rows deleted since then. The deletions are logged
-- by a statement trigger on the mart (created by the model's post-hook, see the dbt macro
-- log_deletions_for_publish), whatever deleted them: a merge replacing rows, a deletion
-- upstream, an opt-out. The publish step removes the entries it has applied, so an erased
-- person's ids stay here only between a build and its publish.
create table meta.mart_deletions (
    relation text not null,
    record_id text not null,
    deleted_at timestamptz not null
);

create index mart_deletions_relation_deleted_at_idx
    on meta.mart_deletions (relation, deleted_at);

-- What the last publish of each mart was: the build table it copied (its oid: a full refresh
-- makes a new table, whose changes were never logged against the published copy), when, and
-- how many rows it published.
create table meta.mart_publishes (
    relation text primary key,
    build_table oid not null,
    published_at timestamptz not null,
    row_count bigint not null
);

-- tg_argv[0]: the mart's unique key column; `gone` holds the deleted rows.
create function meta.log_mart_deletions() returns trigger
language plpgsql as $$
begin
    execute format(
        'insert into meta.mart_deletions (relation, record_id, deleted_at)'
        ' select %L, %I::text, statement_timestamp() from gone',
        tg_table_name, tg_argv[0]
    );
    return null;
end
$$;

grant select, insert, delete on meta.mart_deletions to transformer;
grant select, insert, update on meta.mart_publishes to transformer;
grant execute on function meta.log_mart_deletions() to transformer;
