"""Typed settings, read once from a YAML file (``--config``) at the edge.

With no file, or with no real credentials in it, the server runs in demo mode:
SQLite under ``var/``, and every outside API served by the local sandboxes
mounted in the same server. Components receive only the values they need.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chatserver.errors import ConfigError
from integrations.shopify_versions import DEFAULT_VERSION, check_api_version

__all__ = [
    "AgentUser",
    "CarrierSettings",
    "HelpCenterSettings",
    "Settings",
    "ShopifySettings",
    "ZendeskSettings",
    "load_settings",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_SECRET = "demo"


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


@dataclass(frozen=True)
class AgentUser:
    username: str
    password_hash: str  # "scrypt$<salt hex>$<hash hex>", see chatserver.web.auth


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # how browsers and webhooks reach us; default http://host:port
    allowed_origins: tuple[str, ...] = ("*",)
    database_url: str = "sqlite+aiosqlite:///var/chatbot.sqlite3"
    redis_url: str = ""
    data_dir: Path = PROJECT_ROOT / "var"
    model_dir: Path = PROJECT_ROOT / "var" / "models"
    policy_path: Path = PROJECT_ROOT / "chatserver" / "policy.yml"
    templates_dir: Path | None = None  # shop overrides, searched before the defaults
    confidence_threshold: float | None = None  # None: the model's own
    model_reload_seconds: float = 5.0  # poll model_dir/CURRENT; 0: never reload
    outside_timeout_seconds: float = 10.0  # per request to Shopify, Zendesk and the carriers
    identity_secret: str = DEMO_SECRET  # HMAC key for signed customer identity
    cookie_secret: str = ""  # agent console sessions; generated per process if empty
    agents: tuple[AgentUser, ...] = ()
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
                raise ConfigError("agents: expected a list of {username, password_hash}")
            values[key] = tuple(_build(AgentUser, a, "agents[]") for a in value)
        elif key == "allowed_origins":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError("allowed_origins: expected an origin or a list of origins")
            values[key] = tuple(value)
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
    reload = settings.model_reload_seconds
    if isinstance(reload, bool) or not isinstance(reload, int | float) or not 0 <= reload < 1e6:
        raise ConfigError(f"model_reload_seconds: expected seconds, 0 or more, got {reload!r}")
    _check_helpcenter(settings.helpcenter)
    return settings


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
