"""Create or upgrade the warehouse: its schemas (migrations/) and the BI login (bi_login.py)."""

from __future__ import annotations

from social_crm.warehouse.connection import connect


def bootstrap() -> list[str]:
    """Create or upgrade the warehouse schemas, and the BI login when one is configured; then
    fill what a migration left to fill in batches of their own transactions (raw X Posts'
    mentions and references, migration 0049). Returns the migrations applied now."""
    from social_crm.warehouse import bi_login, migrations, x_posts_backfill

    with connect() as conn:
        applied = [f"{m.version}_{m.name}" for m in migrations.apply(conn)]
        bi_login.ensure_login_from_settings(conn)
        x_posts_backfill.backfill(conn)
        return applied
