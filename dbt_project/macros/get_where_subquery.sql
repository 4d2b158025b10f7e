{#- Data tests on incremental staging tables carry where: "__latest_merge__" (dbt_project.yml):
    they check the rows of the table's latest merge only, which on a full build is every row.
    Older rows were checked when they were merged; uniqueness is also enforced by the tables'
    unique index. Any other where config is applied as dbt does. -#}
{% macro get_where_subquery(relation) -%}
    {% set where = config.get('where', '') %}
    {% if where %}
        {% if '__latest_merge__' in where %}
            {% set where = where | replace('__latest_merge__', is_in_latest_merge(relation)) %}
        {% endif %}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {% do return(filtered) %}
    {%- else -%}
        {% do return(relation) %}
    {%- endif -%}
{%- endmacro %}
