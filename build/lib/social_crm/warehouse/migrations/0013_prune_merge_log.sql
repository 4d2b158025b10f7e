-- The nightly build prunes meta.merge_deletions once every incremental table has merged past
-- an entry (include/social_crm/transform/merge_log.py).
grant delete on meta.merge_deletions to transformer;
