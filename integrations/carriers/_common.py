"""Small helpers the four carrier clients share: time parsing and shape checks."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from integrations.errors import BadResponse

__all__ = [
    "as_bool",
    "clean_text",
    "dig",
    "expect_dict",
    "expect_list",
    "parse_time",
    "tracking_url",
]

_URLS = {
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "ups": "https://www.ups.com/track?loc=en_US&tracknum={}",
    "dhl": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}&submit=1",
}


def tracking_url(carrier: str, number: str) -> str:
    """The carrier's public tracking page for ``number`` (for the customer).

    Raises:
        ValueError: ``carrier`` is not one of usps, fedex, ups, dhl.
    """
    try:
        template = _URLS[carrier]
    except KeyError:
        raise ValueError(f"unknown carrier {carrier!r}") from None
    return template.format(quote(re.sub(r"[\s\-]+", "", number).upper(), safe=""))


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp: aware when it carries ``Z`` or an offset, else naive."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def as_bool(value: object) -> bool | None:
    """USPS types booleans as booleans but sends ``"true"``/``"false"`` strings too."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def clean_text(value: object) -> str:
    """Text without HTML tags or entities (USPS mail classes carry ``<SUP>&#153;</SUP>``)."""
    if not isinstance(value, str):
        return ""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", "", value))).strip()


def dig(data: object, *path: str | int) -> Any:
    """``data[a][b]...`` or None when any step is missing or of the wrong kind."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or len(data) <= step:
                return None
        elif not isinstance(data, Mapping):
            return None
        data = data[step] if isinstance(step, int) else data.get(step)
    return data


def expect_dict(value: object, vendor: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadResponse(f"expected an object for {what}", vendor=vendor)
    return value


def expect_list(value: object, vendor: str, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadResponse(f"expected a list for {what}", vendor=vendor)
    return value
