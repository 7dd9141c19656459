"""Random and malformed input at the edges: config files, the policy, the Zendesk webhook.

Nothing may escape as anything but the documented error (``ConfigError``/``PolicyError``
for files; a 4xx JSON answer, never a 5xx or a traceback, for HTTP).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatserver.errors import ConfigError
from chatserver.policy import load_policy
from chatserver.settings import PROJECT_ROOT, load_settings
from integrations.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, format_timestamp, sign
from tests.chatserver.test_zendesk_channel import start_rig

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SETTING_KEYS = ["port", "host", "database_url", "redis_url", "allowed_origins", "agents",
                "zendesk", "shopify", "confidence_threshold", "public_url", "usps"]  # fmt: skip
POLICY = yaml.safe_load((PROJECT_ROOT / "chatserver" / "policy.yml").read_text())


@FAST
@given(st.dictionaries(st.sampled_from(SETTING_KEYS) | st.text(max_size=10), values, max_size=4))
def test_any_settings_file_loads_or_is_a_config_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("cfg") / "config.yml"
    path.write_text(yaml.safe_dump(raw))
    try:
        load_settings(path)
    except ConfigError:
        pass


@FAST
@given(st.binary(max_size=200))
def test_any_bytes_as_a_settings_file_load_or_are_a_config_error(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("cfg") / "config.yml"
    path.write_bytes(blob)
    try:
        load_settings(path)
    except ConfigError:
        pass


@FAST
@given(st.binary(max_size=200))
def test_any_bytes_as_a_policy_load_or_are_a_policy_error(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("pol") / "policy.yml"
    path.write_bytes(blob)
    try:
        load_policy(path)
    except ConfigError:
        pass


def _mutate(tree, path, value):
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _paths(tree, prefix=()):
    if isinstance(tree, dict):
        for key, child in tree.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))


POLICY_PATHS = sorted(_paths(POLICY), key=str)


@FAST
@given(st.lists(st.tuples(st.sampled_from(POLICY_PATHS), values), min_size=1, max_size=3))
def test_a_policy_with_any_value_changed_loads_or_is_a_policy_error(tmp_path_factory, changes):
    import copy

    tree = copy.deepcopy(POLICY)
    for path, value in changes:
        try:
            _mutate(tree, path, value)
        except (TypeError, KeyError, IndexError):
            continue  # an earlier change replaced a parent: nothing to reach
    path = tmp_path_factory.mktemp("pol") / "policy.yml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True))
    try:
        load_policy(path)
    except ConfigError:  # PolicyError is one
        pass


bodies = st.one_of(
    st.binary(max_size=300),
    values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"ticket_id": values, "comment_id": values, "event": values, "detail": values}
    ).map(lambda v: json.dumps(v).encode()),
)


async def test_the_zendesk_webhook_answers_any_body_without_a_server_error(
    aiohttp_server, tmp_path
):
    rig = await start_rig(aiohttp_server, tmp_path)
    url = f"{rig.url}/webhooks/zendesk"

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(bodies, st.booleans())
    def post(body: bytes, signed: bool) -> None:
        headers = {"Content-Type": "application/json"}
        if signed:
            stamp = format_timestamp(datetime.now(UTC))
            headers |= {SIGNATURE_HEADER: sign("demo", stamp, body), TIMESTAMP_HEADER: stamp}
        resp = httpx.post(url, content=body, headers=headers, timeout=10)
        assert resp.status_code < 500, (resp.status_code, resp.text)
        assert "Traceback" not in resp.text

    try:
        await asyncio.to_thread(post)
        assert (await rig.http.get(f"{rig.url}/healthz")).status_code == 200
    finally:
        await rig.http.aclose()
