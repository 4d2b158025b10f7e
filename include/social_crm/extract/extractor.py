"""What every API extractor shares: its client, warehouse connections, settings, the data
interval it runs for, and the engine that walks its declared streams (`streams.py`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

from social_crm.extract.http import ApiClient
from social_crm.extract.streams import Engine


class Extractor:
    source: str = ""

    def __init__(
        self,
        client: ApiClient,
        conn_factory: Callable[[], psycopg.Connection],
        settings: Any,
        interval: tuple[datetime | None, datetime | None] = (None, None),
    ) -> None:
        self.client = client
        self.connect = conn_factory
        self.settings = settings
        self.interval = interval

    def finish(self) -> None:
        """After a task's steps, whatever they set aside to report (a source that reads some
        scopes and not others raises it here, once everything else landed); by default
        nothing."""

    @property
    def engine(self) -> Engine:
        """The engine that walks this source's streams, with the extractor's client, interval
        and page size as they are now (a caller may narrow the settings between runs)."""
        page_size = getattr(self.settings, "page_size", 100)
        return Engine(self.client, self.connect, self.interval, page_size)
