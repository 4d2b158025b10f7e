-- The semantic layer's time spine (docs/metrics.md): one row per day, 2015 to 2040, which
-- MetricFlow joins for time-based joins and aggregations
-- (https://docs.getdbt.com/docs/build/metricflow-time-spine)
select spine.date_day::date as date_day
from generate_series('2015-01-01'::date, '2040-12-31'::date, interval '1 day') as spine (date_day)
