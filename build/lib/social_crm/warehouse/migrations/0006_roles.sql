-- Roles (no login: deployments create login users IN ROLE these):
--   loader      writes raw, raw_quarantine and meta (the extraction DAGs)
--   transformer reads raw and meta, writes scoring and the dbt schemas (the nightly build)
--   bi_reader   reads the published marts only
do $$
begin
    if not exists (select from pg_roles where rolname = 'loader') then
        create role loader nologin;
    end if;
    if not exists (select from pg_roles where rolname = 'transformer') then
        create role transformer nologin;
    end if;
    if not exists (select from pg_roles where rolname = 'bi_reader') then
        create role bi_reader nologin;
    end if;
    execute format('grant connect on database %I to loader, transformer, bi_reader',
                   current_database());
    execute format('grant create on database %I to transformer', current_database());
end
$$;

create schema if not exists marts;

grant usage on schema raw, raw_quarantine, meta to loader;
grant select, insert, update, delete on all tables in schema raw, raw_quarantine, meta
    to loader;
grant usage, select on all sequences in schema raw, raw_quarantine, meta to loader;
alter default privileges in schema raw, raw_quarantine, meta
    grant select, insert, update, delete on tables to loader;
alter default privileges in schema raw, raw_quarantine, meta
    grant usage, select on sequences to loader;

grant usage on schema raw, meta to transformer;
grant select on all tables in schema raw, meta to transformer;
alter default privileges in schema raw, meta grant select on tables to transformer;
grant delete on all tables in schema raw to transformer;  -- erasure requests
grant usage, create on schema scoring, marts to transformer;
grant select, insert, update, delete, truncate on all tables in schema scoring to transformer;

grant usage on schema marts to bi_reader;
grant select on all tables in schema marts to bi_reader;
alter default privileges in schema marts grant select on tables to bi_reader;
