-- Instagram (Instagram API with Facebook Login) and Meta webhook deliveries land like every
-- other source: one append-only table per entity, one row per version of a record
-- (0003_raw_tables.sql). Webhook changes are landed by the receiver (one row per change of a
-- delivery, keyed so that Meta's retries and duplicates land once).
do $$
declare
    entity text;
begin
    foreach entity in array array[
        'instagram_accounts', 'instagram_account_insights', 'instagram_media',
        'instagram_media_insights', 'instagram_comments', 'webhook_events'
    ] loop
        execute format($sql$
            create table raw.%1$I (like raw.facebook_posts including all);
            alter table raw.%1$I add constraint %1$s_batch_fk foreign key (batch_id)
                references meta.load_batches (batch_id);
        $sql$, entity);
    end loop;
end
$$;
