-- The webhook changes the pipeline has acted on (a Page `feed` change's comment read by id
-- and landed, or found gone): one row per change of raw.webhook_events, written in the
-- transaction that lands what it announced, so a change is read once and a failed read is
-- read again.
create table meta.webhook_changes_read (
    natural_key text primary key,
    outcome text not null,
    batch_id uuid references meta.load_batches (batch_id),
    read_at timestamptz not null default now()
);

-- the receiver asks whether a refused change is quarantined already (a retry's copy is not
-- quarantined twice): by the digest of its text, among the webhook's quarantined records only
create index records_webhook_text_idx on raw_quarantine.records (md5(raw_text))
    where source = 'webhook' and entity = 'events';
