"""World size and shape. `scale=1` is the demo world: about 2,000 customers and 200k events."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from social_crm_dev import settings as dev_settings

WORLD_START = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86_400
GRAPH_API_VERSION = "v27.0"  # the newest Graph version (2026-11-04)


@dataclass(frozen=True)
class Brand:
    key: str
    name: str
    page_id: str
    x_user_id: str
    x_handle: str
    activity: float  # share of engagement relative to our brand
    answer_rate: float  # share of customer messages the brand answers
    median_reply_minutes: float
    ig_user_id: str = ""  # Instagram professional account (IG User) id
    ig_username: str = ""


# the brands of dbt_project/seeds/brands.csv
SEED_BRANDS: tuple[Brand, ...] = (
    Brand(
        "ours",
        "Fjordbrew Coffee",
        "104000000000001",
        "1400000000000000001",
        "fjordbrew",
        1.0,
        0.75,
        95.0,
        ig_user_id="17841400000000001",
        ig_username="fjordbrew",
    ),
    Brand(
        "rival_a",
        "Kaffeklubben",
        "104000000000002",
        "1400000000000000002",
        "kaffeklubben",
        0.45,
        0.55,
        240.0,
        ig_user_id="17841400000000002",
        ig_username="kaffeklubben",
    ),
    Brand(
        "rival_b",
        "Bean & Co",
        "104000000000003",
        "1400000000000000003",
        "beanandco",
        0.30,
        0.40,
        600.0,
        ig_user_id="17841400000000003",
        ig_username="beanandco",
    ),
)
# an agency world: SOCIAL_CRM_SIM_BRANDS brands (3 to 64; default the three above), the three
# of brands.csv and then rivals numbered on, each with a Page and an X account (no Instagram
# account: Instagram is not mapped per brand). Read when the simulator is imported, so a
# simulator process and the extraction it serves (`agency_seed` writes their brands.csv) see
# the same brands; the bench's brand series sets it in the processes it starts.
AGENCY_BRANDS_ENV = "SOCIAL_CRM_SIM_BRANDS"
MAX_BRANDS = 64  # X ids hold a brand in 2 bits plus its milliseconds (x_api.tweet_brand)


def agency_brands(count: int) -> tuple[Brand, ...]:
    """The first `count` brands of an agency world: ours and the two rivals of brands.csv,
    then rivals `rival_04`... with Pages and X accounts of their own, quieter than ours."""
    if not len(SEED_BRANDS) <= count <= MAX_BRANDS:
        raise ValueError(
            f"an agency world has {len(SEED_BRANDS)} to {MAX_BRANDS} brands, not {count}"
        )
    extra = tuple(
        Brand(
            f"rival_{n:02d}",
            f"Roastery {n:02d}",
            str(104000000000000 + n),
            str(1400000000000000000 + n),
            f"roastery{n:02d}",
            0.2 + 0.2 * ((n * 7) % 5) / 4,  # 0.2 to 0.4 of our activity
            0.5,
            300.0,
        )
        for n in range(len(SEED_BRANDS) + 1, count + 1)
    )
    return SEED_BRANDS + extra


def agency_seed(brands: tuple[Brand, ...]) -> str:
    """`brands` as dbt_project/seeds/brands.csv lists them (ours first, `is_ours`)."""
    lines = [
        "brand_key,brand_name,is_ours,facebook_page_id,x_user_id,x_handle,instagram_user_id,"
        "instagram_username"
    ]
    lines += [
        f"{b.key},{b.name},{'true' if b is brands[0] else 'false'},{b.page_id},{b.x_user_id},"
        f"{b.x_handle},{b.ig_user_id},{b.ig_username}"
        for b in brands
    ]
    return "\n".join(lines) + "\n"


def agency_project(folder: Path, brands: tuple[Brand, ...]) -> Path:
    """A copy of the dbt project under `folder` whose seeds/brands.csv lists `brands`: what
    DBT_PROJECT_DIR names for an extraction (and a build) of an agency world. Its files keep the
    project's times, so the DAG files' dbt manifest (older than none of them) stays valid."""
    from social_crm.paths import dbt_project_dir

    original = dbt_project_dir()
    project = folder / "dbt_project"
    shutil.copytree(original, project, ignore=shutil.ignore_patterns("target", "logs"))
    seed = project / "seeds" / "brands.csv"
    seed.write_text(agency_seed(brands), encoding="utf-8")
    times = (original / "seeds" / "brands.csv").stat()
    os.utime(seed, (times.st_atime, times.st_mtime))
    return project


BRANDS = agency_brands(dev_settings.load().sim_brands or len(SEED_BRANDS))
OUR_BRAND = BRANDS[0]
# the Pages the brand's Graph token manages (graph_api.GraphAccess): only there does it read who
# commented, posted or reacted; a rival's Page gives its posts and counts (docs/rivals.md)
MANAGED_PAGES = frozenset({OUR_BRAND.page_id})


@dataclass(frozen=True)
class WorldConfig:
    seed: int = 42
    scale: float = 1.0
    days: int = 90  # days of history visible when the world starts
    crises: int = 0  # mention crises planned in the history (simulator/incidents.py)
    reply_outages: int = 0  # spans of hours in which a brand answers nobody
    # messages' texts drawn from the shared labelled train splits of their language and
    # sentiment (simulator/texts.py, `real_text`): as varied and as long as real posts, for
    # what scoring real text costs (`make bench`); their intent is not in the text (the
    # brands' replies and the planned ideas keep their templates)
    real_texts: bool = False

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError(f"scale must be > 0, got {self.scale}")
        if self.days < 1:
            raise ValueError(f"days must be >= 1, got {self.days}")
        if self.crises < 0 or self.reply_outages < 0:
            raise ValueError("crises and reply_outages must be >= 0")

    @property
    def n_customers(self) -> int:
        return max(20, round(2000 * self.scale))

    @property
    def n_prospects(self) -> int:
        return max(10, round(1500 * self.scale))

    @property
    def n_people(self) -> int:
        return self.n_customers + self.n_prospects

    # Per-day engagement rates for our brand at scale 1 (rivals scaled by Brand.activity).
    # With 90 days this gives ~200k events: reactions ~62%, comments and replies ~23%,
    # visitor posts ~2%, X mentions ~13%.
    posts_per_day: int = 2
    reactions_per_post: float = 360.0
    comments_per_post: float = 110.0
    reply_share: float = 0.15
    visitor_posts_per_day: float = 22.0
    mentions_per_day: float = 160.0
    # Instagram (simulator/instagram.py), our account at scale 1; rivals scaled by activity.
    # Measured at scale 1, 90 days: 114 media with 16k comments, replies and answers (our
    # Facebook posts' comments: 38k), 2.6k people's media, 750 comment @mentions: the demo
    # world's events grow by ~10% (~19k on ~200k).
    ig_media_per_day: float = 1.3  # a brand's own media (posts and reels)
    ig_comments_per_media: float = 75.0
    ig_reply_share: float = 0.12  # people's replies per top-level comment, times their pull
    ig_likes_per_media: float = 420.0  # counts only: the API names no liker
    ig_people_media_per_day: float = 30.0  # people's media: tags, @mentions, hashtags
    ig_comment_mentions_per_day: float = 8.0  # people's comments @mentioning a brand

    def per_scale(self, rate: float) -> float:
        return rate * self.scale
