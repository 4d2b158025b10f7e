{#- Post-hook of every incremental model: a table without statistics (just built in full) is
    analyzed at once. Its merges filter on merged_at against a constant (max_merged_at); with
    statistics the planner sees that few rows are newer and uses the indexes, without them it
    guesses a third of the table and scans it. Autovacuum would analyze it, but maybe not
    before the next run. -#}
{% macro analyze_if_never_analyzed() -%}
    {% if config.get('materialized') != 'incremental' %}
        select 1
    {% else %}
    do $$
    begin
        if not exists (
            select 1 from pg_stats
            where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}'
        ) then
            execute 'analyze {{ this }}';
        end if;
    end
    $$
    {% endif %}
{%- endmacro %}
