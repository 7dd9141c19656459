"""The four carriers behind one Protocol, number detection and a short-lived result cache.

>>> detect("1Z999AA10123456784")
'ups'
>>> tracking_url("usps", "9400 1118 9922 3456 7890 17")
'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223456789017'

``CarrierRegistry`` holds one client per carrier and answers ``track(carrier, number)``
through a :class:`~integrations.http.TTLCache`, so a burst of questions about one
parcel makes one carrier call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx

from integrations.carriers._common import tracking_url
from integrations.carriers.detect import carrier_from_company, detect, normalize, resolve
from integrations.http import TTLCache
from integrations.models import Tracking

if TYPE_CHECKING:
    from chatserver.settings import Settings

__all__ = [
    "CARRIERS",
    "Carrier",
    "CarrierRegistry",
    "build_carriers",
    "carrier_from_company",
    "detect",
    "normalize",
    "resolve",
    "tracking_url",
]

CARRIERS = ("usps", "fedex", "ups", "dhl")


@runtime_checkable
class Carrier(Protocol):
    """A carrier client: ``track`` returns NOT_FOUND for a number the carrier doesn't
    know, and raises :mod:`integrations.errors` for everything else."""

    async def track(self, number: str) -> Tracking: ...


class CarrierRegistry:
    """One client per carrier, with tracking results cached for ``ttl`` seconds.

    Failures are not cached (the next question tries again); NOT_FOUND answers are.
    """

    def __init__(
        self,
        carriers: Mapping[str, Carrier],
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._carriers = dict(carriers)
        self._cache: TTLCache[Tracking] = TTLCache(ttl, clock=clock)

    def __contains__(self, carrier: object) -> bool:
        return carrier in self._carriers

    def get(self, carrier: str) -> Carrier | None:
        return self._carriers.get(carrier)

    async def track(self, carrier: str, number: str) -> Tracking:
        """Track ``number`` with ``carrier``, from the cache when asked recently.

        Raises:
            ValueError: no client is registered for ``carrier``.
            IntegrationError: from the client (see :mod:`integrations.errors`).
        """
        client = self._carriers.get(carrier)
        if client is None:
            raise ValueError(f"no client for carrier {carrier!r}")
        key = f"{carrier}:{normalize(number)}"
        return await self._cache.get_or_fetch(key, lambda: client.track(number))


def build_carriers(
    http: httpx.AsyncClient, settings: Settings, *, ttl: float = 60.0, **transport_options: Any
) -> CarrierRegistry:
    """All four clients from settings (sandbox URLs in demo mode), behind one cache.

    DHL's ``client_secret`` setting is its API key.
    """
    from integrations.carriers.dhl import DhlClient
    from integrations.carriers.fedex import FedexClient
    from integrations.carriers.ups import UpsClient
    from integrations.carriers.usps import UspsClient

    clients: dict[str, Carrier] = {}
    for name, cls in (("usps", UspsClient), ("fedex", FedexClient), ("ups", UpsClient)):
        conf = getattr(settings, name)
        clients[name] = cls(
            http,
            base_url=settings.api_base_url(name),
            client_id=conf.client_id,
            client_secret=conf.client_secret,
            **transport_options,
        )
    clients["dhl"] = DhlClient(
        http,
        base_url=settings.api_base_url("dhl"),
        api_key=settings.dhl.client_secret,
        **transport_options,
    )
    return CarrierRegistry(clients, ttl=ttl)
