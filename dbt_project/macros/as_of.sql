{#- The moment the build describes: var `as_of` (the nightly DAG passes its data interval's
    end), else when dbt started. Rules of time ("the last 30 days") count back from it, never
    from the newest row in a table: one late-loaded row would move "now" for everyone. -#}
{% macro as_of() -%}
    '{{ var("as_of", run_started_at.isoformat()) }}'::timestamptz
{%- endmacro %}
