"""What an API handler returns; the server turns it into an HTTP answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from social_crm_dev.simulator.config import WORLD_START


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    total: int = 0  # list answers: items in the whole listing


class ApiError(Exception):
    """Raised by handlers; carries the API's own error answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def to_datetime(seconds: int) -> datetime:
    return WORLD_START + timedelta(seconds=int(seconds))


def to_seconds(moment: datetime) -> int:
    return int((moment - WORLD_START).total_seconds())


def parse_time(value: str) -> int:
    """Unix seconds or ISO-8601 (both APIs accept these) -> world seconds."""
    value = value.strip()
    if value.lstrip("-").isdigit():
        return to_seconds(datetime.fromtimestamp(int(value), tz=UTC))
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_seconds(moment)
