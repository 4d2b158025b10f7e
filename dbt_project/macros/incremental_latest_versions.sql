{#- The current version of every record of a raw landing table, for an incremental staging
    table: only rows of batches the raw quality gate has passed (meta.load_batches.validated_at),
    and on an incremental run only batches the gate passed after the last merge, each record's
    newest version that is newer than the staged one. Tombstones are kept in the result so that
    the merge replaces the staged row; the delete_merged_tombstones post-hook then deletes them.
    Adds batch_validated_at (the watermark), merged_at (when the row was merged: tests check
    the latest merge only, downstream models read what was merged after their own last merge)
    and keeps ingest_seq. merged_at is the merge statement's start, not now(): now() is when
    the transaction began, and dbt may begin a downstream model's transaction before an
    upstream model's merge statement runs. -#}
{% macro incremental_latest_versions(relation, unique_key) -%}
    {{ return(adapter.dispatch('incremental_latest_versions', 'social_crm')(relation, unique_key)) }}
{%- endmacro %}

{% macro default__incremental_latest_versions(relation, unique_key) -%}
    select distinct on (r.natural_key)
        r.*,
        b.validated_at as batch_validated_at,
        statement_timestamp() as merged_at
    from {{ relation }} as r
    inner join {{ source('meta', 'load_batches') }} as b on r.batch_id = b.batch_id
    where
        b.validated_at is not null
        {% if is_incremental() %}
            and r.batch_id in ({{ batches_to_merge() }})
            -- a batch that committed late may carry an older version than the staged one
            and not exists (
                select 1 from {{ this }} as t
                where t.{{ unique_key }} = r.natural_key and t.ingest_seq >= r.ingest_seq
            )
        {% endif %}
    order by r.natural_key, r.ingest_seq desc
{%- endmacro %}

{#- In an incremental staging table: the batches the raw gate passed after the last merge (the
    latest merge's rows hold the newest gate stamp; merged_at is indexed). When the model runs,
    a list of constants read just before: the planner then looks their rows up by the raw
    table's batch index, where behind a subquery it guesses a third of raw and scans it. -#}
{% macro batches_to_merge() -%}
    {%- set query -%}
        select b.batch_id from {{ source('meta', 'load_batches') }} as b
        where b.validated_at > (
            select coalesce(max(t.batch_validated_at), '-infinity'::timestamptz)
            from {{ this }} as t
            where {{ latest_merge(this) }}
        )
    {%- endset -%}
    {%- if execute -%}
        {%- set batches = run_query(query).columns[0].values() -%}
        {%- for batch in batches -%}
            '{{ batch }}'{{ ', ' if not loop.last }}
        {%- else -%}
            null
        {%- endfor -%}
    {%- else -%}
        {{ query }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of the incremental staging tables: the latest merge's tombstones leave, and are
    logged in meta.merge_deletions for the incremental models downstream. -#}
{% macro delete_merged_tombstones() -%}
    with gone as (
        delete from {{ this }}
        where is_deleted and {{ latest_merge(this) }}
        returning {{ config.get('unique_key') }} as record_id, merged_at
    )
    insert into meta.merge_deletions (relation, record_id, deleted_at)
    select '{{ this.identifier }}', record_id, merged_at from gone
{%- endmacro %}

{#- Pre-hook of an incremental model built from incremental tables: delete its rows whose
    source records were deleted (tombstoned) since its last merge. -#}
{% macro delete_records_deleted_upstream(relations) -%}
    {% if is_incremental() %}
        delete from {{ this }}
        where {{ config.get('unique_key') }} in (
            select d.record_id from meta.merge_deletions as d
            where
                d.relation in ('{{ relations | join("', '") }}')
                and d.deleted_at > {{ last_merge() }}
        )
    {% else %}
        select 1
    {% endif %}
{%- endmacro %}

{#- The engagements' and the messages' staging tables, for delete_records_deleted_upstream. -#}
{% macro delete_deleted_engagements() -%}
    {{ delete_records_deleted_upstream(['stg_facebook__reactions', 'stg_facebook__comments',
        'stg_facebook__visitor_posts', 'stg_x__tweets']) }}
{%- endmacro %}

{% macro delete_deleted_messages() -%}
    {{ delete_records_deleted_upstream(['stg_facebook__comments', 'stg_facebook__visitor_posts',
        'stg_x__tweets']) }}
{%- endmacro %}

{#- In an incremental model: when it last merged (its rows' newest merged_at). -#}
{% macro last_merge() -%}
    {%- if execute and is_incremental() -%}
        {{ newest_merge(this) }}
    {%- else -%}
        (select max(previous.merged_at) from {{ this }} as previous)
    {%- endif -%}
{%- endmacro %}

{#- A condition on a row of `relation`: it came with the latest merge (merged_at is indexed).
    On a full build every row did. -#}
{% macro latest_merge(relation) -%}
    {%- if execute and load_relation(relation) is not none -%}
        merged_at = {{ newest_merge(relation) }}
    {%- else -%}
        merged_at = (select max(latest.merged_at) from {{ relation }} as latest)
    {%- endif -%}
{%- endmacro %}

{#- The newest merged_at of `relation` as a constant, read when the model, hook or test runs
    (whole microseconds since the epoch: no rounding). With a constant the planner sees from
    the statistics and the merged_at index how few rows are that new and looks them up by
    index; behind a subquery it guesses a third of the table and scans it. -#}
{% macro newest_merge(relation) -%}
    {%- set micros = run_query(
        "select (extract(epoch from max(merged_at)) * 1000000)::bigint from " ~ relation
    ).columns[0].values()[0] -%}
    {%- if micros is none -%}
        '-infinity'::timestamptz
    {%- else -%}
        ('epoch'::timestamptz + {{ micros }} * interval '1 microsecond')
    {%- endif -%}
{%- endmacro %}
