{#- Generic test: the column's text is already lower-cased (a key compared case-insensitively,
    e.g. an Instagram profile's username). -#}
{% test lower_case(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} <> lower({{ column_name }})
{% endtest %}
