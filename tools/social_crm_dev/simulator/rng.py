"""Deterministic sub-streams: one independent RNG per (seed, tag, ids), reproducible anywhere."""

from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def rng_for(seed: int, tag: str, *ids: int | str) -> np.random.Generator:
    """The RNG for one thing (a post, a day, a customer); the same inputs give the same stream."""
    keys = [seed & 0xFFFFFFFF, stable_hash(tag) & 0xFFFFFFFF]
    keys += [stable_hash(i) & 0xFFFFFFFF if isinstance(i, str) else int(i) for i in ids]
    return np.random.default_rng(np.random.SeedSequence(keys))
