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
{% macro latest_raw_versions(relation, unique_key) -%}
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

{#- In an incremental staging table: the ids of the batches the raw gate passed after the last
    merge (the latest merge's rows hold the newest gate stamp; merged_at is indexed). When the
    model runs, a list of constants read just before: the planner then looks their rows up by
    the raw table's batch index, where behind a subquery it guesses a third of raw and scans
    it. -#}
{% macro batches_to_merge() -%}
    {%- set query -%}
        select b.batch_id from {{ source('meta', 'load_batches') }} as b
        where b.validated_at > (
            select coalesce(max(t.batch_validated_at), '-infinity'::timestamptz)
            from {{ this }} as t
            where {{ is_in_latest_merge(this) }}
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
