-- The newest comment a read of a post's comments saw. A post whose comment count went up, with
-- no re-walk due, is read newest first down to this time (less `recheck.SETTLE`): one request
-- for its new comments instead of a walk of all of them. Written with the batch that landed
-- the read, like the counts.
alter table meta.facebook_post_activity add column comments_newest_at timestamptz;
