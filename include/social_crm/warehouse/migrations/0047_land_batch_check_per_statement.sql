-- Every raw row names a batch of meta.load_batches: a foreign key checked that for every row
-- (one lookup and one row lock per row: 29% of a COPY into the raw shape at 10M events). A
-- landing inserts all of a batch's rows with one batch id, so the same guarantee is now kept
-- once per statement: after each insert or update of a raw table, one check of the distinct
-- batch ids it wrote (locked FOR KEY SHARE, as the foreign key locks them, so no concurrent
-- transaction deletes one before this one commits), and a batch that raw rows name cannot be
-- deleted nor its id changed. Both raise foreign_key_violation, as the key did.
create function meta.raw_rows_name_batches() returns trigger
language plpgsql as $$
declare
    missing uuid;
begin
    perform 1 from meta.load_batches as b
        where b.batch_id in (select w.batch_id from written as w)
        for key share of b;
    select w.batch_id into missing from written as w
        where w.batch_id is not null and not exists (
            select 1 from meta.load_batches as b where b.batch_id = w.batch_id)
        limit 1;
    if found then
        raise foreign_key_violation using message = format(
            'insert or update on table "%s.%s" names batch %s, which is not in meta.load_batches',
            tg_table_schema, tg_table_name, missing);
    end if;
    return null;
end
$$;

-- a batch that raw rows name stays: the tables checked are those carrying the trigger above
create function meta.load_batches_kept_while_named() returns trigger
language plpgsql as $$
declare
    named regclass;
    found_one boolean;
begin
    if tg_op = 'UPDATE' and new.batch_id = old.batch_id then
        return new;
    end if;
    for named in
        select distinct t.tgrelid::regclass from pg_trigger as t
        where t.tgname in ('raw_rows_name_batches_insert', 'raw_rows_name_batches_update')
    loop
        execute format('select exists (select 1 from %s where batch_id = $1)', named)
            into found_one using old.batch_id;
        if found_one then
            raise foreign_key_violation using message = format(
                'batch %s of meta.load_batches is still named by %s', old.batch_id, named);
        end if;
    end loop;
    return case when tg_op = 'DELETE' then old else new end;
end
$$;

create trigger load_batches_kept_while_named
    before delete or update of batch_id on meta.load_batches
    for each row execute function meta.load_batches_kept_while_named();

do $$
declare
    raw_table regclass;
    key_name text;
begin
    for raw_table, key_name in
        select c.conrelid::regclass, c.conname from pg_constraint as c
        join pg_class as t on t.oid = c.conrelid
        join pg_namespace as n on n.oid = t.relnamespace
        where c.contype = 'f' and c.confrelid = 'meta.load_batches'::regclass
          and n.nspname = 'raw'
    loop
        execute format('alter table %s drop constraint %I', raw_table, key_name);
        execute format(
            'create trigger raw_rows_name_batches_insert after insert on %s'
            ' referencing new table as written'
            ' for each statement execute function meta.raw_rows_name_batches()', raw_table);
        execute format(
            'create trigger raw_rows_name_batches_update after update on %s'
            ' referencing new table as written'
            ' for each statement execute function meta.raw_rows_name_batches()', raw_table);
    end loop;
end
$$;
