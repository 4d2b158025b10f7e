"""The scorer's version decides which messages are scored again (docs/sentiment.md "Scorer
version"). The language detector reads a message without the tracked brands' names
(brands.csv), so adding a brand changes how messages naming it are read: the version must
change with it, or the nightly step keeps the old reading of every message scored before (a
full refresh does not help either: text hash and scorer version are unchanged)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from social_crm import paths

PROBE = (
    "import json, sys\n"
    "from social_crm import sentiment\n"
    "m = sentiment.score_messages([{'id': 1, 'text': sys.argv[1], 'lang': None}])[0]\n"
    "print(json.dumps({'version': sentiment.version(), 'lang': m['lang'],"
    " 'sentiment': m['sentiment']}))\n"
)


def _read(text: str, dbt_project: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, text],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DBT_PROJECT_DIR": str(dbt_project)},
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_brand_added_to_brands_csv_changes_the_scorer_version(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(paths.dbt_project_dir() / "seeds", project / "seeds")
    text = "Dobra Kawa 👎"  # a thumbs-down at a Polish-named coffee shop
    before = _read(text, project)
    with (project / "seeds" / "brands.csv").open("a", encoding="utf-8") as f:
        f.write(
            "rival_c,Dobra Kawa,false,104000000000009,1400000000000000009,dobrakawa,"
            "17841400000000009,dobrakawa\n"
        )
    after = _read(text, project)
    assert (before["lang"], before["sentiment"]) != (after["lang"], after["sentiment"])
    assert before["version"] != after["version"], (
        f"{text!r} read {before['lang']}/{before['sentiment']} before the brand, "
        f"{after['lang']}/{after['sentiment']} after it, by scorer {after['version']} both times"
    )
