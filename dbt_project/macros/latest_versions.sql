{#- The current version of every record of a raw landing table: the newest row per natural key,
    tombstones (deleted records) left out. -#}
{% macro latest_versions(relation) -%}
    {{ return(adapter.dispatch('latest_versions', 'social_crm')(relation)) }}
{%- endmacro %}

{% macro default__latest_versions(relation) -%}
    select * from (
        select distinct on (natural_key) *
        from {{ relation }}
        order by natural_key, ingest_seq desc
    ) as newest
    where not is_deleted
{%- endmacro %}
