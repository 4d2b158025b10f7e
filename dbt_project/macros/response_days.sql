{#- Pre-hook of brand_response_times_daily (incremental by local day): delete the rows of every
    brand, channel and local day whose figures may have changed since the last run; the model
    then measures the days left without rows. A day changes when
    - a message of it was merged (new, answered, its answer deleted) or scored again (its
      priority) since the last run;
    - it has messages still waiting within their SLA target: this run's as-of time may breach
      them;
    - it holds another number of messages than counted (int_message_days: deleted upstream,
      erased);
    and every day changes when the table was measured at a later as-of time than this run's
    (a run replayed for an earlier day). -#}
{% macro delete_response_days_to_measure_again() -%}
    {% if is_incremental() %}
        with

        time_zones as (

            {{ brand_time_zones() }}

        ),

        merged as (

            select
                m.brand_key,
                m.platform as channel,
                {{ local_date('m.occurred_at', 'z.time_zone') }} as message_date
            from {{ ref('int_messages_answered') }} as m
            left join time_zones as z on m.platform = z.channel and m.brand_key = z.brand_key
            where m.message_id in (
                select a.message_id from {{ ref('int_messages_answered') }} as a
                where a.merged_at > {{ max_merged_at() }}
                union
                {{ messages_scored_after(max_merged_at()) }}
            )

        ),

        counted as (

            select * from {{ ref('int_message_days') }}

        ),

        stored as (

            select
                brand_key,
                channel,
                message_date,
                sum(messages) as messages,
                sum(open_within_sla) as open_within_sla
            from {{ this }}
            group by brand_key, channel, message_date

        ),

        changed as (

            select s.brand_key, s.channel, s.message_date
            from stored as s
            left join counted as c
                on
                    s.brand_key = c.brand_key
                    and s.channel = c.channel
                    and s.message_date = c.message_date
            where
                s.open_within_sla > 0
                or c.messages is distinct from s.messages
                or exists (
                    select 1 from {{ this }} as later
                    where later.measured_at > {{ as_of() }}
                )
            union
            select brand_key, channel, message_date from merged

        )

        delete from {{ this }} as t
        using changed as c
        where
            t.brand_key = c.brand_key
            and t.channel = c.channel
            and t.message_date = c.message_date
    {% else %}
        select 1
    {% endif %}
{%- endmacro %}
