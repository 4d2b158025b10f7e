"""Airflow Assets for the raw landing tables: extraction tasks update them, the nightly build
is scheduled on them. Light on purpose: DAG files import this at parse time."""

from __future__ import annotations

from airflow.sdk import Asset


def raw_table(name: str) -> Asset:
    return Asset(name=f"raw.{name}", uri=f"social-crm://warehouse/raw/{name}")


FACEBOOK_PAGE = [raw_table("facebook_page_snapshots"), raw_table("facebook_page_insights")]
FACEBOOK_ACTIVITY = [
    raw_table("facebook_comments"),
    raw_table("facebook_reactions"),
    raw_table("facebook_users"),
]
FACEBOOK_POSTS = [raw_table("facebook_posts"), *FACEBOOK_ACTIVITY]
FACEBOOK_VISITOR_POSTS = [raw_table("facebook_visitor_posts"), *FACEBOOK_ACTIVITY]
X_TWEETS = [raw_table("x_tweets"), raw_table("x_users")]
X_FOLLOWERS = [raw_table("x_followers"), raw_table("x_users")]
CRM = [
    raw_table("crm_customers"),
    raw_table("crm_orders"),
    raw_table("crm_erasure_requests"),
    raw_table("crm_products"),
]

ALL_RAW = [
    *FACEBOOK_PAGE,
    *FACEBOOK_POSTS,
    raw_table("facebook_visitor_posts"),
    *X_TWEETS,
    raw_table("x_followers"),
    *CRM,
]

# the nightly DAG updates this when it publishes: BI refreshes can be scheduled on it
PUBLISHED_MARTS = Asset(name="marts", uri="social-crm://warehouse/marts")
