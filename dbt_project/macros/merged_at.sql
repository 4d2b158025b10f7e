{#- The newest merged_at of `relation` (default: the model being built, i.e. when it last
    merged), as a constant read when the model, hook or test runs: whole microseconds since the
    epoch, so nothing is rounded. With a constant the planner sees from the statistics and the
    merged_at index how few rows are that new and looks them up by index; behind a subquery it
    guesses a third of the table and scans it. Before the relation exists (or at parse time) it
    is that subquery. quality/gate.py holds the same rule for the Great Expectations gate. -#}
{% macro max_merged_at(relation=none) -%}
    {%- set relation = relation if relation is not none else this -%}
    {%- if execute and load_relation(relation) is not none -%}
        {%- set micros = run_query(
            "select (extract(epoch from max(merged_at)) * 1000000)::bigint from " ~ relation
        ).columns[0].values()[0] -%}
        {%- if micros is none -%}
            '-infinity'::timestamptz
        {%- else -%}
            ('epoch'::timestamptz + {{ micros }} * interval '1 microsecond')
        {%- endif -%}
    {%- else -%}
        (select max(newest.merged_at) from {{ relation }} as newest)
    {%- endif -%}
{%- endmacro %}

{#- A condition true for the rows of `relation` that came with its latest merge (on a full
    build: every row). -#}
{% macro is_in_latest_merge(relation) -%}
    merged_at = {{ max_merged_at(relation) }}
{%- endmacro %}

{#- The messages whose sentiment or intent changed after `since` (int_message_sentiment's
    merged_at is the later of the two times): scored again, or corrected by staff. Read from
    the scores by their scored_at index and from the corrections, not by computing the view for
    every message. A model calling it declares both refs (depends_on). -#}
{% macro messages_scored_after(since) -%}
    select s.message_id from {{ ref('stg_scoring__message_sentiment') }} as s
    where s.scored_at > {{ since }}
    union
    select o.message_id from {{ ref('stg_crm__sentiment_overrides') }} as o
    where o.landed_at > {{ since }}
{%- endmacro %}
