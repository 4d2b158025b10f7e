{#- Whether the staged X post `post` (stg_x__tweets) mentions the brand `brand` (the brands
    seed): its text names the brand's @handle, or the brand's feed found it (brand_handle).
    An at sign is `@` or the full-width `＠` (U+FF20), as X reads them (twitter-text's
    atSigns). Handles are letters, digits and _ only: no pattern characters. -#}
{% macro x_post_mentions(post, brand) -%}
    ({{ post }}.brand_handle = {{ brand }}.x_handle
    or {{ post }}.message_text ~* ('(^|\W)[@\uFF20]' || {{ brand }}.x_handle || '(\W|$)'))
{%- endmacro %}
