"""The brands we track (ours and rivals): one list, `dbt_project/seeds/brands.csv`, read by the
extractors (which pages and accounts to call) and by dbt (share of voice)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from social_crm.paths import dbt_project_dir


@dataclass(frozen=True)
class TrackedBrand:
    key: str
    name: str
    is_ours: bool
    facebook_page_id: str
    x_user_id: str
    x_handle: str
    instagram_user_id: str
    instagram_username: str


def load(path: Path | None = None) -> list[TrackedBrand]:
    path = path or dbt_project_dir() / "seeds" / "brands.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            TrackedBrand(
                row["brand_key"],
                row["brand_name"],
                row["is_ours"] == "true",
                row["facebook_page_id"],
                row["x_user_id"],
                row["x_handle"],
                row["instagram_user_id"],
                row["instagram_username"],
            )
            for row in csv.DictReader(handle)
        ]
