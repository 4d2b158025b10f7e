{#-
    Seconds of a brand's service hours on a channel between two moments (timestamptz): for each
    local day from the start's to the end's (in the brand's time zone), the overlap of
    [start_at, end_at) with that weekday's opening hours, unless the day is a holiday. The
    hours are local: `(day + opens_at) at time zone time_zone` is the right instant on either
    side of a daylight saving change. 0 when the brand has no hours for the channel, or when
    start_at or end_at is null. Pass qualified columns (t.occurred_at): inside, unqualified
    names would be the hours table's own.
-#}
{% macro business_seconds(start_at, end_at, brand_key, channel) %}
    (
        select coalesce(sum(greatest(0, extract(epoch from
            least({{ end_at }}, (d.day + h.closes_at) at time zone h.time_zone)
            - greatest({{ start_at }}, (d.day + h.opens_at) at time zone h.time_zone)
        ))), 0)::bigint
        from {{ ref('brand_service_hours') }} as h
        -- local dates (a date plus a time is a local timestamp: no session time zone in it)
        cross join lateral (
            select days::date as day
            from generate_series(
                ({{ start_at }} at time zone h.time_zone)::date::timestamp,
                ({{ end_at }} at time zone h.time_zone)::date::timestamp,
                interval '1 day'
            ) as days
        ) as d
        where
            h.brand_key = {{ brand_key }}
            and h.channel = {{ channel }}
            and extract(isodow from d.day) = h.isodow
            and not exists (
                select 1 from {{ ref('brand_holidays') }} as x
                where x.brand_key = h.brand_key and x.holiday_date = d.day
            )
            and {{ start_at }} is not null
            and {{ end_at }} is not null
    )
{% endmacro %}
