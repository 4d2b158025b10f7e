-- When the raw quality gate last passed a batch. The gate checks the rows of committed batches
-- not yet validated, then stamps them, so a nightly run reads what landed since the last one
-- instead of all of raw. Batches landed before this migration are checked once more by the
-- next run (validated_at starts empty).
alter table meta.load_batches add column validated_at timestamptz;

create index load_batches_pending_validation_idx
    on meta.load_batches (batch_id) where status = 'committed' and validated_at is null;
