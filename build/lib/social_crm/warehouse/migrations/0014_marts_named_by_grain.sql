-- The marts are named by their grain (README, "Marts"): dim_customers -> people,
-- fct_social_engagements -> engagements, customer_segments -> people_segments,
-- response_times -> customer_messages. The published and the build tables are renamed in place,
-- so BI keeps its data until the next publish and the incremental marts keep merging where they
-- were; the publish bookkeeping follows them. Views or dashboards on the old names must be
-- pointed at the new ones.
create temp table renamed_marts (old_name text, new_name text) on commit drop;
insert into renamed_marts values
    ('dim_customers', 'people'),
    ('fct_social_engagements', 'engagements'),
    ('customer_segments', 'people_segments'),
    ('response_times', 'customer_messages');

do $$
declare
    mart record;
    schema_name text;
begin
    for mart in select * from renamed_marts loop
        foreach schema_name in array array['marts', 'marts_build'] loop
            if to_regclass(format('%I.%I', schema_name, mart.old_name)) is not null
                and to_regclass(format('%I.%I', schema_name, mart.new_name)) is null then
                execute format(
                    'alter table %I.%I rename to %I', schema_name, mart.old_name, mart.new_name
                );
            end if;
        end loop;
    end loop;
end
$$;

update meta.mart_publishes as p set relation = r.new_name
from renamed_marts as r where p.relation = r.old_name;

update meta.mart_deletions as d set relation = r.new_name
from renamed_marts as r where d.relation = r.old_name;
