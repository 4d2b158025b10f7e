"""The Page Insights metrics we ask the Graph API for, and those Meta retired.

Meta retired the `page_fans` family and the `impressions` metrics on 2025-11-15, and the reach
metrics (`page_impressions_unique` and the other `_unique` impressions, page post impressions,
`page_video_views_unique`) by 2026-06-15: a request naming one retired metric fails whole with
`(#100) The value must be a valid insights metric`. Sources: developers.facebook.com/
documentation/pages-api/platforminsights/page/deprecated-metrics (updated 2026-03-02; it dates
the reach wave "June 15, 2025", where the v25.0 changelog of 2026-02-18 and the insights
reference say June 2026: the registry keeps the earlier date, the stricter one, and a request
sent today refuses it for any day asked), developers.facebook.com/docs/graph-api/changelog/
version25.0 and developers.facebook.com/blog/post/2025/08/15/page-insights-api-updates.
`total_video_consumption_rate` (a video insight, no data from early November 2026: the v27.0
announcement) was never asked for. The mapping from the retired metrics to today's is written
up in docs/graph-insights-metrics.md.

When the API rejects a metric that this registry still lists (Meta retires more), the
extractor drops it, records it in `meta.rejected_metrics` with the error, and lands the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Metric:
    name: str
    meaning: str
    available_since: str  # the Graph version or date from which the reference lists it
    retired_on: date | None = None

    def active_on(self, day: date) -> bool:
        return self.retired_on is None or day < self.retired_on


CHECKED_ON = date(2026, 12, 6)  # when this registry was last compared with Meta's reference

METRICS: tuple[Metric, ...] = (
    Metric("page_follows", "followers of the Page at the end of the day", "v18.0"),
    Metric("page_daily_follows_unique", "people who started following the Page that day", "v16.0"),
    Metric("page_daily_unfollows_unique", "people who stopped following the Page", "v16.0"),
    Metric("page_post_engagements", "reactions, comments, shares and clicks on posts", "v2.x"),
    Metric("page_media_view", "times the Page's content was displayed or played", "2025-06-15"),
    Metric("page_total_media_view_unique", "people who saw the Page's content", "2025-06-15"),
    Metric("page_views_total", "times the Page's profile was viewed", "v2.x"),
    # retired: never requested, kept so that old raw rows are still understood
    Metric(
        "page_fans", "lifetime likes of the Page (now: page_follows)", "v2.x", date(2025, 11, 15)
    ),
    Metric("page_fan_adds", "new likes that day", "v2.x", date(2025, 11, 15)),
    Metric("page_fan_removes", "unlikes that day", "v2.x", date(2025, 11, 15)),
    Metric("page_impressions", "times content entered a screen", "v2.x", date(2025, 11, 15)),
    Metric("page_impressions_unique", "people reached", "v2.x", date(2025, 6, 15)),
)
BY_NAME = {metric.name: metric for metric in METRICS}


def to_request(day: date, rejected: set[str]) -> list[str]:
    """The metrics to ask for on `day`: active in the registry and not rejected by the API."""
    return [m.name for m in METRICS if m.active_on(day) and m.name not in rejected]


def is_invalid_metric_error(message: str) -> bool:
    return "valid insights metric" in message.lower()
