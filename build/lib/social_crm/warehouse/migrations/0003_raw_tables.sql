-- One append-only landing table per source entity. A row is one version of one record:
-- re-landing the same payload is a no-op (unique natural_key + payload_hash), an edited record
-- is a new row, a deletion is a tombstone row (is_deleted). ingest_seq orders versions.
do $$
declare
    entity text;
begin
    foreach entity in array array[
        'facebook_page_snapshots', 'facebook_posts', 'facebook_visitor_posts',
        'facebook_comments', 'facebook_reactions', 'facebook_page_insights', 'facebook_users',
        'x_tweets', 'x_users', 'x_followers',
        'crm_customers', 'crm_orders', 'crm_erasure_requests'
    ] loop
        execute format($sql$
            create table raw.%1$I (
                ingest_seq bigserial primary key,
                natural_key text not null,
                scope_key text,
                event_at timestamptz,
                payload jsonb not null,
                payload_hash text not null,
                is_deleted boolean not null default false,
                extracted_at timestamptz not null,
                batch_id uuid not null references meta.load_batches (batch_id),
                source_api_version text,
                constraint %1$s_version_uq unique (natural_key, payload_hash)
            );
            create index %1$s_scope_idx on raw.%1$I (scope_key, event_at);
            create index %1$s_batch_idx on raw.%1$I (batch_id);
        $sql$, entity);
    end loop;
end
$$;
