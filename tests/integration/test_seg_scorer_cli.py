"""`social-crm sentiment score` on odd input: the real command, a bad line reported by its
number and every other line scored."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / ".venv" / "bin" / "social-crm"


def _cli(lines: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "sentiment", "score"],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cli_a_line_with_a_lone_surrogate_does_not_lose_the_other_lines():
    """The command promises to report a bad line and score every other one. A JSON line whose
    text holds a lone surrogate escape (valid JSON, "\\ud800") crashes the whole batch on
    output: the good line after it is never written."""
    result = _cli(['{"id": 1, "text": "bad \\ud800 day"}', '{"id": 2, "text": "great, thanks"}'])
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [m["id"] for m in out if m["id"] == 2] == [2], (result.stdout, result.stderr)


def test_cli_a_locale_style_language_tag_reads_the_language():
    """'pl-PL' is read as Polish, 'pl_PL' (the locale form Facebook and most CRMs write) is not:
    'Fantastyczna obsługa, polecam!' tagged pl_PL comes out negative, intent complaint."""
    result = _cli(['{"id": 1, "text": "Fantastyczna obsługa, polecam!", "lang": "pl_PL"}'])
    assert result.returncode == 0, result.stderr
    (message,) = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert message["sentiment"] == "positive", message


def _cli_bytes(data: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "sentiment", "score"], input=data, capture_output=True, timeout=300, check=False
    )


def test_cli_a_line_that_is_not_utf8_does_not_lose_the_other_lines():
    """A JSON-lines file written in Windows-1252 ('café' as byte 0xE9): the command crashes on
    output ('surrogates not allowed') and scores none of the lines; it promises to report the
    bad line and score every other one."""
    result = _cli_bytes(b'{"id": 1, "text": "caf\xe9 great"}\n{"id": 2, "text": "awful"}\n')
    ids = [json.loads(line)["id"] for line in result.stdout.decode().splitlines() if line]
    assert 2 in ids, (result.stdout, result.stderr)


def test_cli_reads_json_lines_that_start_with_a_byte_order_mark():
    """A file saved by Notepad or piped from PowerShell starts with a UTF-8 BOM: its first line
    is rejected as 'not JSON'."""
    result = _cli_bytes(b'\xef\xbb\xbf{"id": 1, "text": "great"}\r\n{"id": 2, "text": "awful"}\r\n')
    assert result.returncode == 0, result.stderr
    ids = [json.loads(line)["id"] for line in result.stdout.decode().splitlines() if line]
    assert ids == [1, 2], (result.stdout, result.stderr)
