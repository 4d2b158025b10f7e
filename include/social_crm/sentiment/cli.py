"""`social-crm sentiment score`: JSON lines in, the same lines with language, sentiment, score
and intent out, through the function the nightly step uses (`score_messages`), in as many
processes as SOCIAL_CRM_SENTIMENT_WORKERS says.

A line that is not a JSON object with an "id" and a string "text" is not scored: it is reported
on stderr with its line number, and the command exits 1 after scoring every other line. Lines
are UTF-8 (a byte order mark before the first is accepted); a line that is not, or whose strings
hold a lone surrogate ("\\ud800", which no UTF-8 output can write), is such a bad line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from social_crm.sentiment import batches
from social_crm.sentiment.workers import scored_batches


class BadLine(ValueError):
    pass


BOM = "\ufeff"


def _decode(number: int, line: bytes | str) -> str:
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadLine(f"line {number}: not UTF-8 (byte {exc.start + 1})") from None
    return line[1:] if number == 1 and line.startswith(BOM) else line


def _parse(number: int, line: bytes | str) -> dict:
    line = _decode(number, line)
    try:
        message = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"line {number}: not JSON ({exc.msg})") from None
    if not isinstance(message, dict):
        raise BadLine(f"line {number}: not a JSON object")
    if "id" not in message:
        raise BadLine(f'line {number}: no "id"')
    if not isinstance(message.get("text"), str):
        raise BadLine(f'line {number}: "text" is missing or not a string')
    if message.get("lang") is not None and not isinstance(message["lang"], str):
        raise BadLine(f'line {number}: "lang" is not a string')
    try:
        json.dumps(message, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadLine(f"line {number}: a string holds a lone surrogate (not text)") from None
    return message


def _messages(lines: Iterable[bytes | str], errors: TextIO, bad: list[int]) -> Iterator[dict]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield _parse(number, line)
        except BadLine as exc:
            bad.append(number)
            print(f"error: {exc}", file=errors)


def score_stream(
    lines: Iterable[bytes | str], out: TextIO, errors: TextIO, batch_size: int, workers: int = 1
) -> int:
    """Score the lines `batch_size` at a time in `workers` processes, writing them in their
    order, a progress line on `errors` after each batch of a run longer than one batch."""
    bad: list[int] = []
    scored = 0
    for results in scored_batches(batches(_messages(lines, errors, bad), batch_size), workers):
        for message in results:
            out.write(json.dumps(message, ensure_ascii=False) + "\n")
        scored += len(results)
        if scored >= batch_size:
            print(f"sentiment: {scored:,} lines scored...", file=errors, flush=True)
    out.flush()
    print(f"sentiment: {scored} lines scored, {len(bad)} not", file=errors)
    return 1 if bad else 0
