{#- The moment the build describes: env var SOCIAL_CRM_AS_OF (the nightly DAG sets its data
    interval's end), else when dbt started. Rules of time ("the last 30 days") count back from it,
    never from the newest row in a table: one late-loaded row would move "now" for everyone.
    An env var, not a --vars value: dbt's partial parsing starts over when vars change (every
    run), while a changed env var re-parses only the models that read this macro. -#}
{% macro as_of() -%}
    '{{ env_var("SOCIAL_CRM_AS_OF", "") or run_started_at.isoformat() }}'::timestamptz
{%- endmacro %}
