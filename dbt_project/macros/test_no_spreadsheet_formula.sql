{#- Generic test, a warning: text a spreadsheet would run as a formula (starting with =, +, -,
    @, a tab or a carriage return). The marts keep customers' text as written; `social-crm
    export` writes such a cell as text. -#}
{% test no_spreadsheet_formula(model, column_name) %}
    {{ config(severity="warn") }}
    select {{ column_name }}
    from {{ model }}
    where left({{ column_name }}, 1) in ('=', '+', '-', '@', chr(9), chr(13))
{% endtest %}
