"""Same seed and scale: byte-identical truth files and API pages."""

import hashlib
import json

import requests

from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World
from tests.simulator.conftest import SMALL
from tests.simulator.walk import X_HEADERS, page_token


def _digest(folder):
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_byte_identical_files(tmp_path, truth_dir):
    again = tmp_path / "again"
    write_world(World(SMALL), again, progress=lambda _: None)
    assert _digest(again) == _digest(truth_dir)
    assert len(_digest(again)) >= 12


def test_other_seed_gives_another_world(tmp_path, truth_dir):
    other = tmp_path / "other"
    write_world(
        World(WorldConfig(seed=4, scale=SMALL.scale, days=SMALL.days)),
        other,
        progress=lambda _: None,
    )
    assert _digest(other)["crm/customers.csv"] != _digest(truth_dir)["crm/customers.csv"]


def _pages(base):
    page = BRANDS[0].page_id
    token = page_token(base, page)  # who commented and reacted: the Page's own token
    posts = requests.get(
        f"{base}/v24.0/{page}/posts", params={"access_token": token, "limit": 5}
    ).json()
    first = posts["data"][0]["id"]
    answers = [
        posts,
        requests.get(
            f"{base}/v24.0/{first}/comments", params={"access_token": token, "filter": "stream"}
        ).json(),
        requests.get(
            f"{base}/v24.0/{first}/reactions",
            params={"access_token": token, "summary": "total_count"},
        ).json(),
        requests.get(
            f"{base}/2/tweets/search/recent",
            headers=X_HEADERS,
            params={
                "query": "@fjordbrew",
                "max_results": 50,
                "expansions": "author_id",
                "user.fields": "public_metrics,location",
            },
        ).json(),
    ]
    # paging.next holds the server's own port: compare what does not depend on it
    text = json.dumps(answers, sort_keys=True)
    return text.replace(base, "BASE")


def test_same_seed_gives_identical_api_pages(server):
    with SimulatorServer(World(SMALL)) as twin:
        assert _pages(twin.url) == _pages(server.url)
