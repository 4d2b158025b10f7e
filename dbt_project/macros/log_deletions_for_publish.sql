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
