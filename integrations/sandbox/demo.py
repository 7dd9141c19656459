"""The seeded demo shop: customers, orders, shipments and subscriptions, relative to now.

One source for every sandbox: the Shopify sandbox serves the orders, each carrier
sandbox serves the shipments, so the demo reads the same every day. The README's
demo table describes these records; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from integrations.models import TrackingStatus

__all__ = [
    "DemoCustomer",
    "DemoFulfillment",
    "DemoLineItem",
    "DemoOrder",
    "DemoShipment",
    "DemoShop",
    "DemoSubscription",
    "build_demo_shop",
]


@dataclass(frozen=True)
class DemoCustomer:
    id: int
    email: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class DemoLineItem:
    id: int
    title: str
    quantity: int
    sku: str
    price: str


@dataclass(frozen=True)
class DemoFulfillment:
    id: int
    created_at: datetime
    carrier: str  # usps | fedex | ups | dhl
    tracking_number: str
    line_item_ids: tuple[int, ...]
    display_status: str  # Shopify's FulfillmentDisplayStatus as last synced


@dataclass(frozen=True)
class DemoOrder:
    id: int
    number: int  # name is "#<number>"
    customer_email: str
    processed_at: datetime
    financial_status: str
    line_items: tuple[DemoLineItem, ...]
    fulfillments: tuple[DemoFulfillment, ...] = ()
    shipping_address: str = ""
    currency: str = "USD"

    @property
    def name(self) -> str:
        return f"#{self.number}"


@dataclass(frozen=True)
class DemoShipment:
    """What a carrier knows about a parcel. Events newest first."""

    carrier: str
    tracking_number: str
    status: TrackingStatus
    service: str
    origin: str
    destination: str
    events: tuple[tuple[datetime, TrackingStatus, str, str], ...]  # (at, status, text, place)
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class DemoSubscription:
    id: int
    customer_email: str
    title: str
    status: str
    next_billing_date: datetime


@dataclass
class DemoShop:
    now: datetime
    customers: list[DemoCustomer] = field(default_factory=list)
    orders: list[DemoOrder] = field(default_factory=list)
    shipments: list[DemoShipment] = field(default_factory=list)
    subscriptions: list[DemoSubscription] = field(default_factory=list)

    def shipments_for(self, carrier: str) -> dict[str, DemoShipment]:
        return {s.tracking_number: s for s in self.shipments if s.carrier == carrier}


# Tracking numbers with valid check digits (see integrations.carriers.detect).
USPS_MARIA = "9400111899223456789017"
USPS_OLIVIA_BLANKET = "9400111899223112233441"
USPS_AVA_UNKNOWN = "9400111899223998877661"  # valid format; USPS has no record yet
USPS_EMMA_OLD = "9400111899223555444336"
FEDEX_JAMES = "772118345670"
UPS_PRIYA = "1Z999AA10123456784"
UPS_NOAH_BEANS = "1Z999AA10987654328"
UPS_OLIVIA_CANDLES = "1ZA1B2C30312345673"
DHL_LUKAS = "4982173652"


def _day(now: datetime, days: float, hour: int = 10) -> datetime:
    return (now + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def build_demo_shop(now: datetime | None = None) -> DemoShop:
    """The demo shop as it looks at ``now`` (default: the current time, UTC)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    IT, OFD, DL, LC = (
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
        TrackingStatus.LABEL_CREATED,
    )
    shop = DemoShop(now=now)
    people = [
        ("maria", "Maria", "Garcia"),
        ("james", "James", "Wilson"),
        ("priya", "Priya", "Patel"),
        ("lukas", "Lukas", "Becker"),
        ("sam", "Sam", "Taylor"),
        ("olivia", "Olivia", "Brown"),
        ("noah", "Noah", "Kim"),
        ("ava", "Ava", "Rossi"),
        ("liam", "Liam", "Murphy"),
        ("emma", "Emma", "Dubois"),
        ("ethan", "Ethan", "Clark"),
    ]
    shop.customers = [
        DemoCustomer(7001 + i, f"{key}@example.com", first, last)
        for i, (key, first, last) in enumerate(people)
    ]

    def order(num, email, placed_days, items, fulfillments=(), status="PAID", address=""):
        return DemoOrder(
            id=5500000 + num,
            number=num,
            customer_email=email,
            processed_at=_day(now, -placed_days, 14),
            financial_status=status,
            line_items=tuple(items),
            fulfillments=tuple(fulfillments),
            shipping_address=address,
        )

    dress = DemoLineItem(9101, "Wrap dress, midnight blue, size M", 1, "WRAP-DRESS-M-BLU", "89.00")
    shoes = DemoLineItem(9102, "Trail running shoes, size 10", 1, "TRAIL-10", "129.00")
    pour_over = DemoLineItem(9103, "Ceramic pour-over set", 1, "POUR-SET", "48.00")
    mugs = DemoLineItem(9104, "Stoneware mug", 2, "MUG-STONE", "18.00")
    scarf = DemoLineItem(9105, "Merino wool scarf, charcoal", 1, "SCARF-CHAR", "65.00")
    shirt = DemoLineItem(9106, "Linen shirt, white, size L", 1, "LINEN-L-WHT", "72.00")
    candles = DemoLineItem(9107, "Soy candle set (3)", 1, "CANDLE-3", "42.00")
    blanket = DemoLineItem(9108, "Cotton throw blanket, sage", 1, "THROW-SAGE", "95.00")
    beans = DemoLineItem(9109, "Coffee beans subscription, 1 kg", 1, "BEANS-SUB-1KG", "32.00")
    sandals = DemoLineItem(9110, "Leather sandals, size 38", 1, "SANDAL-38", "110.00")
    lamp = DemoLineItem(9111, "Brass desk lamp", 1, "LAMP-BRASS", "140.00")

    shop.orders = [
        # The case study: shipped three days ago with USPS, in transit, on time.
        order(
            1001,
            "maria@example.com",
            4,
            [dress],
            [DemoFulfillment(8001, _day(now, -3, 9), "usps", USPS_MARIA, (9101,), "IN_TRANSIT")],
            address="12 Elm Street, Springfield, IL 62704, US",
        ),
        # FedEx parcel delayed past the policy window.
        order(
            1002,
            "james@example.com",
            13,
            [shoes],
            [DemoFulfillment(8002, _day(now, -12, 9), "fedex", FEDEX_JAMES, (9102,), "IN_TRANSIT")],
            address="400 Pine Ave, Portland, OR 97205, US",
        ),
        # UPS, delivered two days ago.
        order(
            1003,
            "priya@example.com",
            7,
            [pour_over, mugs],
            [DemoFulfillment(8003, _day(now, -6, 9), "ups", UPS_PRIYA, (9103, 9104), "DELIVERED")],
            address="88 Harbor Rd, Boston, MA 02110, US",
        ),
        # DHL international, out for delivery.
        order(
            1004,
            "lukas@example.com",
            6,
            [scarf],
            [
                DemoFulfillment(
                    8004, _day(now, -5, 9), "dhl", DHL_LUKAS, (9105,), "OUT_FOR_DELIVERY"
                )
            ],
            address="Bergmannstrasse 5, 10961 Berlin, DE",
        ),
        # Paid, not yet fulfilled: cancellable, address still changeable.
        order(1005, "sam@example.com", 1, [shirt], address="9 Lake View Dr, Austin, TX 78701, US"),
        # Two fulfillments: one delivered (UPS), one in transit (USPS).
        order(
            1006,
            "olivia@example.com",
            6,
            [candles, blanket],
            [
                DemoFulfillment(
                    8005, _day(now, -5, 9), "ups", UPS_OLIVIA_CANDLES, (9107,), "DELIVERED"
                ),
                DemoFulfillment(
                    8006, _day(now, -2, 9), "usps", USPS_OLIVIA_BLANKET, (9108,), "IN_TRANSIT"
                ),
            ],
            address="31 Maple Ct, Denver, CO 80203, US",
        ),
        # The subscriber's last box, delivered.
        order(
            1007,
            "noah@example.com",
            12,
            [beans],
            [DemoFulfillment(8009, _day(now, -11, 9), "ups", UPS_NOAH_BEANS, (9109,), "DELIVERED")],
            address="5 Birch Ln, Seattle, WA 98101, US",
        ),
        # A tracking number the carrier does not know yet.
        order(
            1008,
            "ava@example.com",
            2,
            [sandals],
            [
                DemoFulfillment(
                    8007, _day(now, -1, 9), "usps", USPS_AVA_UNKNOWN, (9110,), "LABEL_PRINTED"
                )
            ],
            address="77 Ocean Blvd, Miami, FL 33139, US",
        ),
        # Delivered long ago: outside the return window.
        order(
            1009,
            "emma@example.com",
            48,
            [lamp],
            [DemoFulfillment(8008, _day(now, -47, 9), "usps", USPS_EMMA_OLD, (9111,), "DELIVERED")],
            address="2 Rue de Paris Ave, Chicago, IL 60601, US",
        ),
        # Paid six days ago and still not shipped: beyond the processing time.
        order(1010, "ethan@example.com", 6, [dress], address="14 Cedar St, Columbus, OH 43004, US"),
    ]
    # liam@example.com has no orders.

    shop.shipments = [
        DemoShipment("usps", USPS_MARIA, IT, "USPS Ground Advantage", "Columbus, OH", "Springfield, IL",
                     events=((_day(now, -1, 6), IT, "Arrived at USPS Regional Facility", "INDIANAPOLIS IN DISTRIBUTION CENTER"),
                             (_day(now, -2, 19), IT, "Departed USPS Regional Facility", "COLUMBUS OH DISTRIBUTION CENTER"),
                             (_day(now, -3, 17), IT, "USPS in possession of item", "COLUMBUS, OH 43004"),
                             (_day(now, -3, 9), LC, "Shipping Label Created, USPS Awaiting Item", "COLUMBUS, OH 43004")),
                     estimated_delivery=_day(now, 2, 0)),
        DemoShipment("fedex", FEDEX_JAMES, TrackingStatus.DELAYED, "FedEx Ground", "Columbus, OH", "Portland, OR",
                     events=((_day(now, -6, 8), TrackingStatus.DELAYED, "Delay: operational, shipment held at facility", "SALT LAKE CITY, UT"),
                             (_day(now, -8, 3), IT, "Arrived at FedEx location", "SALT LAKE CITY, UT"),
                             (_day(now, -11, 21), IT, "Departed FedEx location", "COLUMBUS, OH"),
                             (_day(now, -12, 15), IT, "Picked up", "COLUMBUS, OH")),
                     estimated_delivery=None),
        DemoShipment("ups", UPS_PRIYA, DL, "UPS Ground", "Columbus, OH", "Boston, MA",
                     events=((_day(now, -2, 13), DL, "Delivered, front door", "BOSTON, MA"),
                             (_day(now, -2, 8), OFD, "Out for Delivery Today", "BOSTON, MA"),
                             (_day(now, -4, 7), IT, "Arrived at Facility", "CHELSEA, MA"),
                             (_day(now, -6, 18), IT, "Picked Up", "COLUMBUS, OH")),
                     delivered_at=_day(now, -2, 13)),
        DemoShipment("dhl", DHL_LUKAS, OFD, "DHL Express Worldwide", "Columbus, US", "Berlin, DE",
                     events=((_day(now, 0, 7) if now.hour >= 7 else _day(now, 0, now.hour), OFD, "Shipment is out with courier for delivery", "Berlin - Germany"),
                             (_day(now, -1, 22), IT, "Customs clearance status updated", "Leipzig - Germany"),
                             (_day(now, -3, 4), IT, "Departed Facility", "Cincinnati Hub - USA"),
                             (_day(now, -5, 17), IT, "Shipment picked up", "Columbus, OH - USA")),
                     estimated_delivery=_day(now, 0, 18)),
        DemoShipment("ups", UPS_OLIVIA_CANDLES, DL, "UPS Ground", "Columbus, OH", "Denver, CO",
                     events=((_day(now, -1, 15), DL, "Delivered, front porch", "DENVER, CO"),
                             (_day(now, -1, 8), OFD, "Out for Delivery Today", "DENVER, CO"),
                             (_day(now, -5, 18), IT, "Picked Up", "COLUMBUS, OH")),
                     delivered_at=_day(now, -1, 15)),
        DemoShipment("usps", USPS_OLIVIA_BLANKET, IT, "USPS Ground Advantage", "Columbus, OH", "Denver, CO",
                     events=((_day(now, -1, 4), IT, "In Transit to Next Facility", ""),
                             (_day(now, -2, 16), IT, "USPS in possession of item", "COLUMBUS, OH 43004")),
                     estimated_delivery=_day(now, 3, 0)),
        DemoShipment("usps", USPS_EMMA_OLD, DL, "USPS Ground Advantage", "Columbus, OH", "Chicago, IL",
                     events=((_day(now, -44, 12), DL, "Delivered, In/At Mailbox", "CHICAGO, IL 60601"),
                             (_day(now, -47, 16), IT, "USPS in possession of item", "COLUMBUS, OH 43004")),
                     delivered_at=_day(now, -44, 12)),
        DemoShipment("ups", UPS_NOAH_BEANS, DL, "UPS Ground", "Columbus, OH", "Seattle, WA",
                     events=((_day(now, -8, 12), DL, "Delivered, front door", "SEATTLE, WA"),
                             (_day(now, -11, 18), IT, "Picked Up", "COLUMBUS, OH")),
                     delivered_at=_day(now, -8, 12)),
        # USPS_AVA_UNKNOWN is deliberately absent: the carrier does not know it yet.
    ]  # fmt: skip

    shop.subscriptions = [
        DemoSubscription(
            3301,
            "noah@example.com",
            "Coffee beans, 1 kg every month",
            "ACTIVE",
            _day(now, 9, 0),
        ),
    ]
    return shop
