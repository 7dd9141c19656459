"""The policy file: validated at start-up, errors name the key; business-day arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from chatserver.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy, parse_policy


def raw() -> dict:
    return yaml.safe_load(DEFAULT_POLICY_PATH.read_text())


def test_the_shipped_policy_is_valid():
    policy = load_policy()
    assert policy.transit("usps") == 5 and policy.transit("carrier pigeon") == 5
    assert policy.when_late == "escalate" and policy.return_window_days == 30


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        (("shipping", "processing_days"), "two", "shipping.processing_days"),
        (("shipping", "processing_days"), -1, "shipping.processing_days"),
        (("shipping", "when_late"), "panic", "shipping.when_late"),
        (("shipping", "transit_days"), {"usps": 3}, "shipping.transit_days"),
        (("shipping", "transit_days", "ups"), "fast", "shipping.transit_days.ups"),
        (("returns", "window_days"), None, "returns.window_days"),
        (("returns", "when_missing"), "shrug", "returns.when_missing"),
        (("business_hours", "timezone"), "Mars/Olympus", "business_hours.timezone"),
        (("business_hours", "days"), ["funday"], "business_hours.days"),
        (("business_hours", "close"), "08:00", "business_hours.close"),
        (("shop", "name"), "", "shop.name"),
        (("cancellation", "allowed"), "always", "cancellation.allowed"),
        (("escalation",), None, "escalation"),
    ],
)
def test_an_invalid_value_is_reported_by_its_key(path, value, key):
    data = raw()
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    assert caught.value.key == key and key in str(caught.value)


def test_a_missing_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "nope.yml")


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (datetime(2026, 11, 25, 15, tzinfo=UTC), 2, "2026-11-27"),  # Wed + 2 = Fri
        (datetime(2026, 11, 27, 15, tzinfo=UTC), 1, "2026-11-30"),  # Fri + 1 = Mon
        (datetime(2026, 11, 28, 15, tzinfo=UTC), 0, "2026-11-28"),
    ],
)
def test_business_days_skip_the_weekend(start, days, expected):
    assert load_policy().add_business_days(start, days).date().isoformat() == expected


def test_business_hours_are_in_the_shop_time_zone():
    policy = load_policy()
    assert policy.is_open(datetime(2026, 11, 25, 15, tzinfo=UTC))  # 10:00 New York
    assert not policy.is_open(datetime(2026, 11, 25, 23, tzinfo=UTC))  # 18:00
    assert not policy.is_open(datetime(2026, 11, 28, 15, tzinfo=UTC))  # Saturday
