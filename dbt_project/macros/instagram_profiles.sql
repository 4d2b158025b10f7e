{#- An Instagram profile's key (docs/data-model.md, "Instagram"): the lower-cased username an
    API item names (`username`), or null when it names nobody or names a tracked brand (ours or
    a rival's account is never a person). Staging tables call it; a change to the brands seed
    needs their full refresh, as for the engagements. -#}
{% macro instagram_profile_id(username) -%}
    case
        when
            nullif({{ username }}, '') is not null
            and lower({{ username }}) not in (
                select lower(b.instagram_username) from {{ ref('brands') }} as b
                where b.instagram_username is not null
            )
            then lower({{ username }})
    end
{%- endmacro %}

{#- Whether `username` names a tracked brand's Instagram account (ours or a rival's). -#}
{% macro is_instagram_brand(username) -%}
    coalesce(lower({{ username }}) in (
        select lower(b.instagram_username) from {{ ref('brands') }} as b
        where b.instagram_username is not null
    ), false)
{%- endmacro %}

{#- The value of an Instagram insight record, in any of the shapes the Insights API gives a
    metric: `total_value.value` (metric_type=total_value), a time series' `values[0].value`, or
    a bare `value`. -#}
{% macro instagram_insight_value(payload) -%}
    coalesce(
        {{ payload }} -> 'total_value' ->> 'value',
        {{ payload }} -> 'values' -> 0 ->> 'value',
        {{ payload }} ->> 'value'
    )::bigint
{%- endmacro %}

{#- Whether `text` @mentions the Instagram account `username`, with or without the `@`: the
    API leaves it out of a caption that @mentions an account unless the caption's own account
    asks (docs/real-apis.md), so a tagged media's caption names us by the bare username (a
    username is letters, digits, periods and underscores: `@fjordbrew.` ending a sentence
    mentions fjordbrew, `@fjordbrew_x`, `@fjordbrew.no` and `bo.fjordbrew` do not). -#}
{% macro mentions_instagram_username(text, username) -%}
    coalesce({{ text }} ~* (
        '(^|[^a-z0-9._@])@?' || {{ username }} || '($|[^a-z0-9._]|\.($|[^a-z0-9_]))'
    ), false)
{%- endmacro %}
