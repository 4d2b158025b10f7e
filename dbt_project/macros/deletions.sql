{#- How a deletion travels through the incremental tables. A tombstone merged into a staging
    table deletes the staged row and is logged in meta.merge_deletions
    (delete_merged_tombstones); each incremental model downstream deletes the rows whose source
    records were logged since its own last merge (delete_rows_deleted_upstream); an incremental
    mart logs every row deleted from it in meta.mart_deletions (log_deletions_for_publish), which
    publishing applies to the published copy. -#}

{#- Post-hook of the incremental staging tables: the latest merge's tombstones leave, and are
    logged in meta.merge_deletions for the incremental models downstream. -#}
{% macro delete_merged_tombstones() -%}
    with gone as (
        delete from {{ this }}
        where is_deleted and {{ is_in_latest_merge(this) }}
        returning {{ config.get('unique_key') }} as record_id, merged_at
    )

    insert into meta.merge_deletions (relation, record_id, deleted_at)
    select '{{ this.identifier }}', record_id, merged_at from gone
{%- endmacro %}

{#- The staging tables the engagements and the customer messages are merged from: the
    deletions logged for these reach int_engagements_unified and engagements, and
    int_messages_answered and customer_messages (the sentiment step then drops the scores of
    messages int_message_texts no longer has). -#}
{% macro engagement_staging_tables() -%}
    {{ return([
        ref('stg_facebook__reactions'), ref('stg_facebook__comments'),
        ref('stg_facebook__visitor_posts'), ref('stg_x__tweets'),
        ref('stg_instagram__comments'), ref('stg_instagram__media'),
    ]) }}
{%- endmacro %}

{% macro message_staging_tables() -%}
    {{ return([
        ref('stg_facebook__comments'), ref('stg_facebook__visitor_posts'), ref('stg_x__tweets'),
        ref('stg_instagram__comments'), ref('stg_instagram__media'),
    ]) }}
{%- endmacro %}

{#- `relations` (refs) as the names meta.merge_deletions logs them under, for an `in (...)`. -#}
{% macro merge_log_names(relations) -%}
    {%- for relation in relations -%}
        '{{ relation.identifier }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- Pre-hook of an incremental model built from incremental tables: delete its rows whose
    source records in `relations` (refs) were deleted (tombstoned) since its last merge. -#}
{% macro delete_rows_deleted_upstream(relations) -%}
    {% if is_incremental() %}
        delete from {{ this }}
        where {{ config.get('unique_key') }} in (
            -- an Instagram media that tags and @mentions a brand is two engagements: the
            -- mention's id is the media's with `:mention`; an X post mentioning several
            -- brands, one per brand: `<id>:<brand_key>` after the first
            select d.record_id || s.suffix
            from meta.merge_deletions as d
            cross join {{ engagement_id_suffixes() }} as s
            where
                d.relation in ({{ merge_log_names(relations) }})
                and d.deleted_at > {{ max_merged_at() }}
        )
    {% else %}
        select 1
    {% endif %}
{%- endmacro %}

{#- First post-hook of an incremental mart: a statement trigger logs every row deleted from it
    (by a merge, a pre-hook, a post-hook) in meta.mart_deletions, so that publishing applies
    what changed instead of copying the whole table. The hook runs in the model's transaction,
    so no committed version of the table lacks the trigger. -#}
{% macro log_deletions_for_publish() -%}
    create or replace trigger log_deletions_for_publish
    after delete on {{ this }}
    referencing old table as gone
    for each statement
    execute function meta.log_mart_deletions('{{ config.get("unique_key") }}')
{%- endmacro %}

{#- Last post-hook of the detail marts: the rows of customers who opted out of profiling or
    asked to be erased (`excluded`: int_excluded_customers) leave. Their ids are read first, as
    one array, then looked up in the mart's index on `column`: as a join (`where exists`), a
    planner that misjudged the night's rows hashed the ids and scanned the whole mart (13.5 s
    for engagements, 3.3 s for customer_messages at 10M events, where the index answers in
    well under a second). -#}
{% macro delete_excluded_customers(column, excluded) -%}
    delete from {{ this }}
    where {{ column }} = any(array(select x.customer_id from {{ excluded }} as x))
{%- endmacro %}

{#- Second pre-hook of the detail marts merged from `source` (int_engagements_unified,
    int_messages_answered): the rows of profiles excluded from details since the mart's last
    merge leave (a profile newly scored for, named by or linked to a customer who opted out
    or asked to be erased: int_excluded_profiles; a prospect has no customer id for
    delete_excluded_customers to find). Such a profile's merged_at moved with its exclusion;
    the merge then leaves its rows out. -#}
{% macro delete_rows_of_newly_excluded_profiles(source) -%}
    {% if is_incremental() %}
        delete from {{ this }}
        where {{ config.get('unique_key') }} = any(array(
            select s.{{ config.get('unique_key') }} from {{ source }} as s
            inner join {{ ref('int_people_profiles') }} as p
                on s.profile_id = p.profile_id and s.platform = p.platform
            where p.is_excluded_from_details and p.merged_at > {{ max_merged_at() }}
        ))
    {% else %}
        select 1
    {% endif %}
{%- endmacro %}

{#- The suffixes an engagement's id adds to its record's id: none, `:mention` (an Instagram
    media's caption mention) and `:<brand_key>` (an X post's mention of a second brand). -#}
{% macro engagement_id_suffixes() -%}
    (
        select '' as suffix
        union all
        select ':mention'
        union all
        select ':' || b.brand_key from {{ ref('brands') }} as b
    )
{%- endmacro %}
