{#- A count from an API's JSON (a follower count), as a bigint, or null (unknown) when it is not
    a whole number from 0 to ten billion (more than the people on Earth): a huge, fractional or negative count is a corrupt answer, and
    the record is kept with the count unknown. The rule is quality/rules.py's whole_count
    (MAX_COUNT), which tests/unit/test_whole_count_rule.py holds equal to this macro. -#}
{% macro whole_count(text) -%}
    case
        when {{ text }} ~ '^[0-9]{1,16}(\.0*)?$'
            and ({{ text }})::numeric <= 10000000000
            then ({{ text }})::numeric::bigint
    end
{%- endmacro %}
