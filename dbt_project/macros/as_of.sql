{#- The moment the build describes: env var SOCIAL_CRM_AS_OF (the nightly DAG sets its data
    interval's end), else when dbt started. Rules of time ("the last 30 days") count back from it,
    never from the newest row in a table: one late-loaded row would move "now" for everyone.
    An env var, not a --vars value: dbt's partial parsing starts over when vars change (every
    run). Read only when the SQL is rendered to run (`execute`), not while parsing: dbt re-parses
    the models that read an env var whenever its value changes, and the DAG sets a new one each
    run (a second or more of every dbt invocation). -#}
{% macro as_of() -%}
    '{{ (env_var("SOCIAL_CRM_AS_OF", "") if execute else "") or run_started_at.isoformat() }}'::timestamptz
{%- endmacro %}
