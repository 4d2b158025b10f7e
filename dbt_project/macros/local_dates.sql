{#- Each brand and channel's time zone (seed brand_service_hours): its local days are the
    days response times are counted by. -#}
{% macro brand_time_zones() -%}
    select distinct on (brand_key, channel)
        brand_key,
        channel,
        time_zone
    from {{ ref('brand_service_hours') }}
    order by brand_key asc, channel asc, time_zone asc
{%- endmacro %}

{#- The local day of `instant` in `time_zone` (UTC for a brand and channel without service
    hours). -#}
{% macro local_date(instant, time_zone) -%}
    ({{ instant }} at time zone coalesce({{ time_zone }}, 'UTC'))::date
{%- endmacro %}
