{#- Data tests on incremental staging tables carry where: "__latest_merge__" (dbt_project.yml):
    they check the rows of the table's latest merge only, which on a full build is every row.
    Older rows were checked when they were merged; uniqueness is also enforced by the tables'
    unique index. Tests on a view of messages carry where: "__live_window__": they check the
    messages of the live queue's window (queue_max_age_days back from the as-of time), and the
    view computes only those messages' rows for them. Any other where config is applied as dbt
    does. -#}
{% macro get_where_subquery(relation) -%}
    {% set where = config.get('where', '') %}
    {% if where %}
        {% if '__latest_merge__' in where %}
            {% set where = where | replace('__latest_merge__', is_in_latest_merge(relation)) %}
        {% endif %}
        {% if '__live_window__' in where %}
            {% set window -%}
                occurred_at > {{ as_of() }} - interval '{{ var("queue_max_age_days") }} days'
            {%- endset %}
            {% set where = where | replace('__live_window__', window) %}
        {% endif %}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {% do return(filtered) %}
    {%- else -%}
        {% do return(relation) %}
    {%- endif -%}
{%- endmacro %}
