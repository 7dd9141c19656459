"""Typed settings, read once from a YAML file (``--config``) at the edge.

With no file, or with no real credentials in it, the server runs in demo mode:
SQLite under ``var/``, and every outside API served by the local sandboxes
mounted in the same server. Components receive only the values they need.

Outside demo mode the server refuses to start with a secret that is missing, short or
a demo value (``unsafe_secrets``; docs/security.md).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from chatserver.errors import ConfigError
from integrations.shopify_versions import DEFAULT_VERSION, check_api_version

__all__ = [
    "DEMO_AGENT",
    "DEMO_AGENT_NAME",
    "DEMO_SECRET",
    "MIN_SECRET_CHARS",
    "SECRET_RECIPE",
    "AgentUser",
    "CarrierSettings",
    "HelpCenterSettings",
    "LimitSettings",
    "Settings",
    "ShopifySettings",
    "ZendeskSettings",
    "load_settings",
    "secret_weakness",
    "unsafe_secrets",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where data lives by default: beside the code in a source checkout (`make run`), else under
# the working directory (an installed package; `chatbot init` writes absolute paths).
DATA_ROOT = (PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").is_file() else Path()) / "var"
DEMO_SECRET = "demo"
MIN_SECRET_CHARS = 32
SECRET_RECIPE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
# Values that are examples, not secrets (ours, and the usual suspects).
_DEMO_VALUES = frozenset({DEMO_SECRET, "changeme", "change-me", "secret", "test", "password"})


@dataclass(frozen=True)
class ShopifySettings:
    base_url: str = ""  # https://{shop}.myshopify.com ; empty = sandbox
    access_token: str = DEMO_SECRET
    api_version: str = DEFAULT_VERSION  # one of integrations.shopify_versions.SUPPORTED_VERSIONS


@dataclass(frozen=True)
class ZendeskSettings:
    base_url: str = ""  # https://{subdomain}.zendesk.com ; empty = sandbox
    email: str = "agent@example.com"
    api_token: str = DEMO_SECRET
    oauth_token: str = ""
    webhook_secret: str = DEMO_SECRET
    webhook_tolerance_seconds: int = 300
    bot_user_id: int | None = None  # None: the user the credentials belong to
    escalation_group_id: int | None = None
    workers: int = 2  # webhook queue workers in this process
    lease_seconds: float = 60.0  # a claimed ticket/reply is retaken after this (crash)
    max_replies_per_hour: int = 5  # per ticket; beyond it the bot escalates


@dataclass(frozen=True)
class CarrierSettings:
    base_url: str = ""  # empty = sandbox
    client_id: str = DEMO_SECRET
    client_secret: str = DEMO_SECRET  # DHL: the API key


@dataclass(frozen=True)
class HelpCenterSettings:
    """Where the help-center articles come from (docs/helpcenter.md)."""

    source: str = ""  # zendesk | folder | none; "" = zendesk when Zendesk is used (demo too)
    locale: str = "en-us"  # the Guide locale to read (zendesk)
    path: Path | None = None  # folder of *.md articles (folder)
    url_base: str = ""  # folder: links are {url_base}/{file name}; none without it
    base_url: str = ""  # zendesk: Guide's host when host-mapped; "" = the zendesk base_url
    threshold: float | None = None  # answer from an article at this confidence; None: the model's
    refresh_minutes: float = 15.0  # incremental sync period (0: never); a full re-read daily
    # The article-events webhook's signing secret (Zendesk gives each webhook its own,
    # and one subscribed to events cannot serve triggers); "" = zendesk.webhook_secret.
    webhook_secret: str = ""

    def resolved_source(self, zendesk_used: bool) -> str:
        """The source in effect: ``source``, or zendesk when Zendesk is used, else none."""
        return self.source or ("zendesk" if zendesk_used else "none")


DEMO_AGENT = ("agent", "demo")  # demo mode's console login and password
DEMO_AGENT_NAME = "Alex"  # ... and the name customers see


@dataclass(frozen=True)
class AgentUser:
    """A console account. Customers see ``display_name`` ("Alex"), never the login."""

    username: str
    password_hash: str  # "scrypt$<salt hex>$<hash hex>", see chatserver.web.auth
    display_name: str = ""  # "": the customer reads "a colleague from our team"


@dataclass(frozen=True)
class LimitSettings:
    """The ``limits:`` section: what one client may do (docs/security.md).

    A limit of 0 (or null in the file) is off. Per-IP limits count the client address
    (``trusted_proxies`` says when ``X-Forwarded-For`` gives it); with several server
    processes the connection and message limits count per process, the proof attempts
    across processes (in Redis when ``redis_url`` is set).
    """

    connections_per_ip: int = 20  # open chat connections
    messages_per_minute_per_ip: int = 60  # chat messages and session requests
    messages_per_minute_per_session: int = 20
    max_message_chars: int = 4000
    logins_per_minute_per_ip: int = 10  # console sign-in attempts from one address
    failed_logins_per_minute_per_user: int = 5  # failed sign-ins for one username
    proof_failures_per_session: int = 5  # failed order proofs (email + number) ...
    proof_failures_per_ip: int = 20  # ... from one client address
    proof_failures_per_email: int = 5  # ... claiming one email address
    proof_failures_per_order: int = 5  # ... naming one order number
    proof_window_minutes: float = 60.0  # failures are forgotten this long after the last
    proof_backoff_seconds: float = 1.0  # wait after a failure; doubles with each one
    session_idle_minutes: float = 60.0  # a chat unused this long is not resumed


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # how browsers and webhooks reach us; default http://host:port
    allowed_origins: tuple[str, ...] = ("*",)
    database_url: str = "sqlite+aiosqlite:///var/chatbot.sqlite3"
    redis_url: str = ""
    data_dir: Path = DATA_ROOT
    model_dir: Path = DATA_ROOT / "models"
    policy_path: Path = PROJECT_ROOT / "chatserver" / "policy.yml"
    templates_dir: Path | None = None  # shop overrides, searched before the defaults
    email_patterns: tuple[Path, ...] = ()  # extra mail-client formats (docs/nlu.md, Cleaning)
    confidence_threshold: float | None = None  # None: the model's own
    model_reload_seconds: float = 5.0  # poll model_dir/CURRENT; 0: never reload
    outside_timeout_seconds: float = 10.0  # per request to Shopify, Zendesk and the carriers
    identity_secret: str = DEMO_SECRET  # HMAC key for signed customer identity
    cookie_secret: str = ""  # agent console cookies; generated per process if empty (demo)
    agents: tuple[AgentUser, ...] = ()
    trusted_proxies: tuple[str, ...] = ()  # addresses or CIDRs whose X-Forwarded-For counts
    limits: LimitSettings = field(default_factory=LimitSettings)
    shopify: ShopifySettings = field(default_factory=ShopifySettings)
    zendesk: ZendeskSettings = field(default_factory=ZendeskSettings)
    usps: CarrierSettings = field(default_factory=CarrierSettings)
    fedex: CarrierSettings = field(default_factory=CarrierSettings)
    ups: CarrierSettings = field(default_factory=CarrierSettings)
    dhl: CarrierSettings = field(default_factory=CarrierSettings)
    helpcenter: HelpCenterSettings = field(default_factory=HelpCenterSettings)

    @property
    def demo(self) -> bool:
        """Demo mode: no outside API configured, so the sandboxes stand in for all of them."""
        apis = (self.shopify, self.zendesk, self.usps, self.fedex, self.ups, self.dhl)
        return not any(api.base_url for api in apis)

    def agent_names(self) -> dict[str, str]:
        """What customers read for each console login: its ``display_name``. The demo
        account (no ``agents`` in demo mode) is "Alex"; a login without one shows none."""
        if not self.agents and self.demo:
            return {DEMO_AGENT[0]: DEMO_AGENT_NAME}
        return {a.username: a.display_name for a in self.agents if a.display_name}

    @property
    def database_backend(self) -> str:
        """The kind of database: ``sqlite`` or ``postgresql`` (the URL's dialect)."""
        return self.database_url.split(":", 1)[0].split("+", 1)[0].lower()

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    def api_base_url(self, api: str) -> str:
        """Base URL of one outside API, or of its sandbox in this server when unset."""
        configured: str = getattr(self, api).base_url
        return configured.rstrip("/") if configured else f"{self.base_url}/sandbox/{api}"


_NESTED = {
    "limits": LimitSettings,
    "shopify": ShopifySettings,
    "zendesk": ZendeskSettings,
    "usps": CarrierSettings,
    "fedex": CarrierSettings,
    "ups": CarrierSettings,
    "dhl": CarrierSettings,
    "helpcenter": HelpCenterSettings,
}
_PATHS = {"data_dir", "model_dir", "policy_path", "templates_dir"}


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(values).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}")
    try:
        return cls(**values)
    except TypeError as exc:  # a required key is missing
        raise ConfigError(f"{where}: {exc}") from exc


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read settings from a YAML file (optional) and apply keyword overrides.

    Raises:
        ConfigError: the file is missing, unreadable, or holds an unknown or ill-typed value.
    """
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"config {path} is not UTF-8 text: {exc.reason}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"config {path} is not valid YAML: {exc}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"config {path}: expected a mapping at the top level")
        raw.update(loaded)
    raw.update({k: v for k, v in overrides.items() if v is not None})

    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "helpcenter" and isinstance(value, dict) and value.get("path") is not None:
            value = {**value, "path": Path(value["path"])}
        if key in _NESTED:
            values[key] = _build(_NESTED[key], value or {}, key)
        elif key == "agents":
            if not isinstance(value, list):
                raise ConfigError(
                    "agents: expected a list of {username, password_hash, display_name}"
                )
            values[key] = tuple(_build(AgentUser, a, "agents[]") for a in value)
        elif key == "trusted_proxies":
            values[key] = _proxies(value)
        elif key == "allowed_origins":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError("allowed_origins: expected an origin or a list of origins")
            values[key] = tuple(value)
        elif key == "email_patterns":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError("email_patterns: expected a file path or a list of paths")
            values[key] = tuple(Path(v) for v in value)
        elif key in _PATHS and value is not None:
            values[key] = Path(value)
        else:
            values[key] = value
    try:
        settings = _build(Settings, values, "config")
    except TypeError as exc:
        raise ConfigError(f"config: {exc}") from exc
    if not isinstance(settings.port, int) or not 0 <= settings.port < 65536:
        raise ConfigError(f"port: expected an integer 0..65535, got {settings.port!r}")
    timeout = settings.outside_timeout_seconds
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < 1e6:
        raise ConfigError(f"outside_timeout_seconds: expected seconds above 0, got {timeout!r}")
    try:
        check_api_version(settings.shopify.api_version)
    except ValueError as exc:
        raise ConfigError(f"shopify.api_version: {exc}") from None
    if settings.email_patterns:
        from nlu.cleaning import PatternError, load_patterns

        try:
            load_patterns(extra=settings.email_patterns)
        except PatternError as exc:
            raise ConfigError(f"email_patterns: {exc}") from exc
    reload = settings.model_reload_seconds
    if isinstance(reload, bool) or not isinstance(reload, int | float) or not 0 <= reload < 1e6:
        raise ConfigError(f"model_reload_seconds: expected seconds, 0 or more, got {reload!r}")
    for name in ("identity_secret", "cookie_secret"):
        if not isinstance(getattr(settings, name), str):
            raise ConfigError(f"{name}: expected a string")
    if not isinstance(settings.zendesk.webhook_secret, str):
        raise ConfigError("zendesk.webhook_secret: expected a string")
    _check_helpcenter(settings.helpcenter)
    return replace(settings, limits=_limits(settings.limits))


def _proxies(value: Any) -> tuple[str, ...]:
    """``trusted_proxies``: addresses or networks, checked here so a typo fails at start-up."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("trusted_proxies: expected an address or CIDR, or a list of them")
    for entry in value:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise ConfigError(
                f"trusted_proxies: {entry!r} is not an IP address or network (CIDR)"
            ) from None
    return tuple(v.strip() for v in value)


def _limits(limits: LimitSettings) -> LimitSettings:
    """Every limit a number, 0 or more (null in the file is 0: off)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(LimitSettings):
        value = getattr(limits, f.name)
        if value is None:
            changes[f.name] = 0
        elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
            raise ConfigError(f"limits.{f.name}: expected a number, 0 or more, got {value!r}")
        elif f.type == "int" and value != int(value):
            raise ConfigError(f"limits.{f.name}: expected a whole number, got {value!r}")
        elif f.type == "int":
            changes[f.name] = int(value)
    return replace(limits, **changes)


def unsafe_secrets(settings: Settings) -> list[str]:
    """Why these settings must not serve outside demo mode (empty when they may).

    Outside demo mode a forged signed identity reads a customer's orders, a forged
    webhook answers as the shop, and a forged cookie opens the console: each secret must
    be set, at least ``MIN_SECRET_CHARS`` long, and not an example value.
    """
    if settings.demo:
        return []
    secrets = [
        ("identity_secret", settings.identity_secret),
        ("cookie_secret", settings.cookie_secret),
    ]
    if settings.zendesk.base_url:
        secrets.append(("zendesk.webhook_secret", settings.zendesk.webhook_secret))
    problems = []
    for name, value in secrets:
        why = secret_weakness(value)
        if why:
            problems.append(
                f"{name} {why}: outside demo mode it must be a random string of at least "
                f"{MIN_SECRET_CHARS} characters (make one with: {SECRET_RECIPE})"
            )
    return problems


def secret_weakness(value: str) -> str | None:
    """Why ``value`` cannot guard production (missing, an example, too short), or None."""
    stripped = value.strip()
    if not stripped:
        return "is missing"
    if stripped.lower() in _DEMO_VALUES or (stripped.startswith("<") and stripped.endswith(">")):
        return f"is the example value {stripped!r}"
    if len(stripped) < MIN_SECRET_CHARS:
        return f"is too short ({len(stripped)} characters)"
    return None


def _check_helpcenter(hc: HelpCenterSettings) -> None:
    if hc.source not in ("", "zendesk", "folder", "none"):
        raise ConfigError(f"helpcenter.source: expected zendesk, folder or none, got {hc.source!r}")
    if hc.source == "folder" and hc.path is None:
        raise ConfigError("helpcenter.path: the folder of articles is required with source folder")
    if not isinstance(hc.locale, str) or not hc.locale or "/" in hc.locale:
        raise ConfigError(f"helpcenter.locale: expected a locale such as en-us, got {hc.locale!r}")
    t = hc.threshold
    if t is not None and (isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= 1):
        raise ConfigError(f"helpcenter.threshold: expected a number from 0 to 1, got {t!r}")
    m = hc.refresh_minutes
    if isinstance(m, bool) or not isinstance(m, int | float) or not 0 <= m < 1e6:
        raise ConfigError(f"helpcenter.refresh_minutes: expected minutes, 0 or more, got {m!r}")
