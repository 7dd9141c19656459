"""The shop's policy, read from one human-editable YAML file and validated at start-up.

``load_policy(path)`` returns a frozen ``Policy`` or raises ``PolicyError`` naming the
key at fault (``shipping.transit_days.ups: expected a whole number ≥ 0, got 'soon'``).
Date arithmetic in business days, in the shop's time zone, lives here too.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from chatserver.errors import ConfigError
from chatserver.formatting import DEFAULT_LOCALE, parse_locale, places
from chatserver.labels import Labels

__all__ = [
    "DAY_NAMES",
    "REMEDIES",
    "Policy",
    "PolicyError",
    "load_policy",
    "parse_policy",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REMEDIES = ("reship", "refund", "escalate")
LATE_REMEDIES = (*REMEDIES, "apologise")
ALLOWED = ("unfulfilled", "never")


class PolicyError(ConfigError):
    """The policy file is invalid; ``key`` is the dotted path of the offending value."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"policy: {key}: {message}" if key else f"policy: {message}")
        self.key = key


@dataclass(frozen=True)
class Policy:
    shop_name: str
    signature: str
    support_email: str
    timezone: ZoneInfo
    business_days: frozenset[int]  # weekday numbers, Monday = 0
    opens: time
    closes: time
    processing_days: int
    transit_days: dict[str, int]  # "default", "usps", "usps/usps ground advantage"…
    delay_threshold_days: int
    when_late: str
    free_shipping_over: str
    currency: str
    shipping_options: tuple[str, ...]
    countries: str  # the phrase: "the United States, Canada, and the United Kingdom"
    return_window_days: int
    when_missing: str
    when_damaged: str
    cancellation: str
    address_change: str
    refund_processing_days: int
    refund_bank_days: str
    escalation_group: str
    max_identity_attempts: int
    links: dict[str, str]
    wait_minutes: int = 5  # escalation.wait_minutes: a colleague usually joins a chat within
    out_of_scope_tickets: bool = False  # out_of_scope.ticket: such questions open a hand-off
    locale: str = DEFAULT_LOCALE  # how money and country names are written (Babel)
    intent_labels: dict[str, str] = field(default_factory=dict)  # the shop's own words
    reason_labels: dict[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> Labels:
        """What the console and dashboard call intents and reasons (chatserver.labels)."""
        return Labels.with_overrides(self.intent_labels, self.reason_labels)

    def transit(self, carrier: str | None, service: str | None = None) -> int:
        """Expected transit days for a carrier (and service, when the policy names it)."""
        carrier = (carrier or "").lower()
        if service and f"{carrier}/{service.lower()}" in self.transit_days:
            return self.transit_days[f"{carrier}/{service.lower()}"]
        return self.transit_days.get(carrier, self.transit_days["default"])

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.timezone)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.business_days

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """``start`` moved forward by ``days`` business days (same local time)."""
        current = self.local(start)
        while days > 0:
            current += timedelta(days=1)
            if self.is_business_day(current.date()):
                days -= 1
        return current

    def business_days_between(self, start: datetime, end: datetime) -> int:
        """Business days after ``start``'s date up to and including ``end``'s date (0 if before)."""
        first, last = self.local(start).date(), self.local(end).date()
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count

    def is_open(self, now: datetime) -> bool:
        local = self.local(now)
        return self.is_business_day(local.date()) and self.opens <= local.time() < self.closes

    @property
    def zone_name(self) -> str:
        """The time zone as customers say it: "New York" for America/New_York."""
        return self.timezone.key.split("/")[-1].replace("_", " ")

    @property
    def opening_hours(self) -> str:
        """ "Monday to Friday, 9:00 to 17:00 (New York time)": when a person can answer."""
        names = [calendar.day_name[d] for d in sorted(self.business_days)]
        days = sorted(self.business_days)
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            when = f"{names[0]} to {names[-1]}"
        else:
            when = ", ".join(names)
        hours = f"{self.opens.hour}:{self.opens.minute:02d} to {self.closes.hour}:{self.closes.minute:02d}"
        return f"{when}, {hours} ({self.zone_name} time)"

    def next_open(self, now: datetime) -> datetime:
        """When the team is next at work (local time): ``now`` itself while open."""
        local = self.local(now)
        if self.is_open(local):
            return local
        day = local.date()
        if local.time() >= self.opens:
            day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return datetime.combine(day, self.opens, tzinfo=self.timezone)


def _section(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise PolicyError(key, "missing section (expected a mapping)")
    return value


def _text(section: dict[str, Any], where: str, key: str, default: str | None = None) -> str:
    value = section.get(key, default)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}.{key}", f"expected text, got {value!r}")
    return value.strip()


def _days(section: dict[str, Any], where: str, key: str, default: int | None = None) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyError(f"{where}.{key}", f"expected a whole number ≥ 0, got {value!r}")
    return value


def _choice(section: dict[str, Any], where: str, key: str, options: tuple[str, ...]) -> str:
    value = section.get(key)
    if value not in options:
        raise PolicyError(f"{where}.{key}", f"expected one of {', '.join(options)}, got {value!r}")
    return str(value)


def _clock(section: dict[str, Any], where: str, key: str) -> time:
    value = section.get(key)
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where}.{key}", f"expected a time like 09:00, got {value!r}") from None


def parse_policy(raw: Any) -> Policy:
    """Validate a loaded policy mapping.

    Raises:
        PolicyError: a section or value is missing or has the wrong type; ``.key`` says which.
    """
    if not isinstance(raw, dict):
        raise PolicyError("", "expected a mapping at the top level")
    shop = _section(raw, "shop")
    hours = _section(raw, "business_hours")
    shipping = _section(raw, "shipping")
    returns = _section(raw, "returns")
    refunds = _section(raw, "refunds")
    escalation = _section(raw, "escalation")

    try:
        zone = ZoneInfo(_text(hours, "business_hours", "timezone"))
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(
            "business_hours.timezone", f"unknown time zone {hours.get('timezone')!r}"
        ) from None
    days = hours.get("days")
    if (
        not isinstance(days, list)
        or not days
        or any(str(d).lower()[:3] not in DAY_NAMES for d in days)
    ):
        raise PolicyError("business_hours.days", f"expected a list like [mon, tue], got {days!r}")
    opens, closes = (
        _clock(hours, "business_hours", "open"),
        _clock(hours, "business_hours", "close"),
    )
    if closes <= opens:
        raise PolicyError("business_hours.close", "must be later than business_hours.open")

    transit_raw = shipping.get("transit_days")
    if not isinstance(transit_raw, dict) or "default" not in transit_raw:
        raise PolicyError("shipping.transit_days", "expected a mapping with at least 'default'")
    transit = {str(k).lower(): _days(transit_raw, "shipping.transit_days", k) for k in transit_raw}
    options = shipping.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise PolicyError("shipping.options", "expected a list of lines of text")
    links = raw.get("links", {}) or {}
    if not isinstance(links, dict) or not all(isinstance(v, str) for v in links.values()):
        raise PolicyError("links", "expected a mapping of name: URL")
    locale = _text(shop, "shop", "locale", DEFAULT_LOCALE)
    try:
        parse_locale(locale)
    except ValueError as exc:
        raise PolicyError("shop.locale", str(exc)) from None
    countries = shipping.get("countries", "the countries listed at checkout")
    if isinstance(countries, list) and countries and all(isinstance(c, str) for c in countries):
        countries = places(countries, locale)  # ISO codes (or EU), named for the locale
    elif isinstance(countries, list):
        raise PolicyError("shipping.countries", "expected country codes like [US, CA, GB]")
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict) or set(labels) - {"intents", "reasons"}:
        raise PolicyError("labels", "expected a mapping with intents: and/or reasons:")
    for kind in ("intents", "reasons"):
        names = labels.get(kind) or {}
        if not isinstance(names, dict) or not all(
            isinstance(v, str) and v.strip() for v in names.values()
        ):
            raise PolicyError(f"labels.{kind}", "expected name: words, e.g. track_order: Order")
    out_of_scope = raw.get("out_of_scope") or {}
    if not isinstance(out_of_scope, dict) or not isinstance(
        out_of_scope.get("ticket", False), bool
    ):
        raise PolicyError("out_of_scope.ticket", "expected true or false")
    attempts = _days(escalation, "escalation", "max_identity_attempts", 5)
    if attempts < 1:
        raise PolicyError("escalation.max_identity_attempts", "expected at least 1")

    return Policy(
        shop_name=_text(shop, "shop", "name"),
        signature=_text(shop, "shop", "signature"),
        support_email=_text(shop, "shop", "support_email"),
        timezone=zone,
        business_days=frozenset(DAY_NAMES.index(str(d).lower()[:3]) for d in days),
        opens=opens,
        closes=closes,
        processing_days=_days(shipping, "shipping", "processing_days"),
        transit_days=transit,
        delay_threshold_days=_days(shipping, "shipping", "delay_threshold_days"),
        when_late=_choice(shipping, "shipping", "when_late", LATE_REMEDIES),
        free_shipping_over=_text(shipping, "shipping", "free_shipping_over", "0"),
        currency=_text(shipping, "shipping", "currency", "USD"),
        shipping_options=tuple(options),
        countries=_text({"countries": countries}, "shipping", "countries"),
        return_window_days=_days(returns, "returns", "window_days"),
        when_missing=_choice(returns, "returns", "when_missing", REMEDIES),
        when_damaged=_choice(returns, "returns", "when_damaged", REMEDIES),
        cancellation=_choice(_section(raw, "cancellation"), "cancellation", "allowed", ALLOWED),
        address_change=_choice(
            _section(raw, "address_change"), "address_change", "allowed", ALLOWED
        ),
        refund_processing_days=_days(refunds, "refunds", "processing_days"),
        refund_bank_days=_text(refunds, "refunds", "bank_days"),
        escalation_group=_text(escalation, "escalation", "group"),
        max_identity_attempts=attempts,
        links=dict(links),
        wait_minutes=_days(escalation, "escalation", "wait_minutes", 5),
        out_of_scope_tickets=bool(out_of_scope.get("ticket", False)),
        locale=locale,
        intent_labels={str(k): v.strip() for k, v in (labels.get("intents") or {}).items()},
        reason_labels={str(k): v.strip() for k, v in (labels.get("reasons") or {}).items()},
    )


DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yml")


def load_policy(path: str | Path = DEFAULT_POLICY_PATH) -> Policy:
    """Read and validate the policy file.

    Raises:
        PolicyError: unreadable, not YAML, or an invalid value (the message names the key).
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError("", f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError("", f"{path} is not UTF-8 text: {exc.reason}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError("", f"{path} is not valid YAML: {exc}") from exc
    return parse_policy(raw)
