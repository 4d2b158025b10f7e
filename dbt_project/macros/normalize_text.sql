{#- Lower-case, trimmed, Nordic/Polish letters folded to ASCII: for matching names and cities. -#}
{% macro normalize_text(expression) -%}
    {{ return(adapter.dispatch('normalize_text', 'social_crm')(expression)) }}
{%- endmacro %}

{% macro default__normalize_text(expression) -%}
    translate(lower(trim({{ expression }})), 'ąćęłńóśźżåäöøæé', 'acelnoszzaaooae')
{%- endmacro %}
