-- The dbt models that became incremental with 0009 (merged_at watermarks) cannot merge into
-- the tables an older build left: those lack merged_at. They are derived from raw, so they are
-- dropped here and the next nightly run builds them in full; `marts` keeps serving the last
-- published build meanwhile. (The staging views that became tables dbt replaces itself.) On a
-- new warehouse none of them exists yet.
drop table if exists intermediate.int_engagements_unified;
drop table if exists intermediate.int_messages_answered;
drop table if exists intermediate.int_people_profiles;
drop table if exists marts_build.fct_social_engagements;
drop table if exists marts_build.response_times;
