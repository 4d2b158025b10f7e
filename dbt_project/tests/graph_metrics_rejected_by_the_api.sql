-- Warns while the Graph API rejects a metric our registry still asks for: Meta retired it.
-- Update include/social_crm/extract/graph_metrics.py (see docs/graph-insights-metrics.md),
-- then delete the metric's row from meta.rejected_metrics.
{{ config(severity='warn') }}

select
    metric,
    api_version,
    error,
    last_rejected_at
from {{ source('meta', 'rejected_metrics') }}
where source = 'facebook'
