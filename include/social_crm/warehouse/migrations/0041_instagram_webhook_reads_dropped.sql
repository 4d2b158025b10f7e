-- Which webhook changes were read is kept in one place, meta.webhook_changes_read (0040,
-- extract/webhook_reads.py), for Instagram mentions as for the comments webhooks announce:
-- the Instagram extractor's own log of them goes.
drop table meta.instagram_webhook_reads;
