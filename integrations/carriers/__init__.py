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
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx

from integrations.cache import TTLCache
from integrations.carriers._common import tracking_url
from integrations.carriers.detect import carrier_from_company, detect, normalize, resolve
from integrations.models import Tracking

__all__ = [
    "CARRIERS",
    "Carrier",
    "CarrierAccount",
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


@dataclass(frozen=True)
class CarrierAccount:
    """Where one carrier's API is and the app's credentials there."""

    base_url: str
    client_id: str = ""
    client_secret: str = ""  # DHL: the API key


def build_carriers(
    http: httpx.AsyncClient,
    accounts: Mapping[str, CarrierAccount],
    *,
    ttl: float = 60.0,
    **transport_options: Any,
) -> CarrierRegistry:
    """A client for each carrier in ``accounts`` (usps, fedex, ups, dhl), behind one cache.

    Raises:
        ValueError: an account names a carrier this package has no client for.
    """
    from integrations.carriers.dhl import DhlClient
    from integrations.carriers.fedex import FedexClient
    from integrations.carriers.ups import UpsClient
    from integrations.carriers.usps import UspsClient

    oauth = {"usps": UspsClient, "fedex": FedexClient, "ups": UpsClient}
    clients: dict[str, Carrier] = {}
    for name, account in accounts.items():
        if name == "dhl":
            clients[name] = DhlClient(
                http, base_url=account.base_url, api_key=account.client_secret,
                **transport_options,
            )  # fmt: skip
        elif name in oauth:
            clients[name] = oauth[name](
                http, base_url=account.base_url, client_id=account.client_id,
                client_secret=account.client_secret, **transport_options,
            )  # fmt: skip
        else:
            raise ValueError(f"no client for carrier {name!r}")
    return CarrierRegistry(clients, ttl=ttl)
