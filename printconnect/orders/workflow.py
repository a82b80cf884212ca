"""Which order status may follow which (DESIGN section 6), as data: services check it, pages offer only these."""

from __future__ import annotations

from printconnect.orders.models import Order

S = Order.Status

# from -> the statuses an order may move to next. Cancelling is possible until the parcel has left; after that a
# return is a matter for the shop, not a status here.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.ON_HOLD: frozenset({S.RECEIVED, S.CANCELLED}),
    S.RECEIVED: frozenset({S.ON_HOLD, S.IN_PRODUCTION, S.CANCELLED}),
    S.IN_PRODUCTION: frozenset({S.PRINTED, S.CANCELLED}),
    # A misprint goes back to production.
    S.PRINTED: frozenset({S.IN_PRODUCTION, S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}


def next_statuses(status: str) -> list[str]:
    """The statuses an order in `status` may move to, in the production flow's order (for menus)."""
    allowed = TRANSITIONS.get(status, frozenset())
    return [value for value in S.values if value in allowed]


def transition_allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def transition_refusal(from_status: str, to_status: str) -> str:
    """Why the move is refused, with what is possible instead."""
    label = dict(S.choices)
    options = next_statuses(from_status)
    if not options:
        return f"A {label[from_status].lower()} order cannot change status any more."
    allowed = ", ".join(label[value].lower() for value in options)
    return (
        f"An order that is {label[from_status].lower()} cannot be moved to {label.get(to_status, to_status).lower()}; "
        f"it can go to: {allowed}."
    )
