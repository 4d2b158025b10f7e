-- brand_response_times_daily became incremental by local day (dbt_project/macros/
-- response_days.sql), with the columns open_within_sla, measured_at and merged_at: it cannot
-- merge into the table an older build left. It is derived, so it is dropped here and the next
-- nightly run builds it in full; `marts` keeps serving the last published build meanwhile.
drop table if exists marts_build.brand_response_times_daily;
