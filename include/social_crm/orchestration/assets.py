"""Airflow Assets for the raw landing tables: extraction tasks update them, the nightly build
is scheduled on them. Light on purpose: DAG files import this at parse time."""

from __future__ import annotations

from airflow.sdk import Asset

from social_crm import catalog


def raw_table(name: str) -> Asset:
    """The Asset of raw table `name`; a name the catalog does not list fails at DAG parse."""
    table = catalog.raw_table(name)
    return Asset(name=table.relation, uri=f"social-crm://warehouse/raw/{table.name}")


FACEBOOK_PAGE = [raw_table("facebook_page_snapshots"), raw_table("facebook_page_insights")]
FACEBOOK_ACTIVITY = [
    raw_table("facebook_comments"),
    raw_table("facebook_reactions"),
    raw_table("facebook_users"),
]
FACEBOOK_POSTS = [raw_table("facebook_posts"), *FACEBOOK_ACTIVITY]
FACEBOOK_VISITOR_POSTS = [raw_table("facebook_visitor_posts"), *FACEBOOK_ACTIVITY]
# Instagram's raw tables are its steps' outlets, by name (pipelines.EXTRACT_INSTAGRAM)
X_TWEETS = [raw_table("x_tweets"), raw_table("x_users")]
X_FOLLOWERS = [raw_table("x_followers"), raw_table("x_users")]
CRM = [
    raw_table("crm_customers"),
    raw_table("crm_orders"),
    raw_table("crm_erasure_requests"),
    raw_table("crm_products"),
]

ALL_RAW = [raw_table(table.name) for table in catalog.RAW_TABLES]

# the nightly DAG updates this when it publishes: BI refreshes can be scheduled on it
PUBLISHED_MARTS = Asset(name="marts", uri="social-crm://warehouse/marts")

# the live DAG updates this every 10 minutes when it publishes the queue
OPEN_CONVERSATIONS = Asset(
    name="marts.open_conversations", uri="social-crm://warehouse/marts/open_conversations"
)
