"""Signals the orders app sends for the app above it (integrations), which it may not import."""

from django.dispatch import Signal

# Sent once a change to what holds a store's orders is committed: orders put on hold, released, re-processed or
# cancelled. Arguments: store, causes (a list of (hold reason, key) pairs, see OrderHold). The integrations app
# answers by raising, updating or resolving the store's Error for each cause (how many orders it holds now).
order_holds_changed = Signal()

# Sent inside the transaction that created a shipment whose carrier neither the store's carrier rules nor its
# default carrier name: the shipment is kept, but its tracking cannot be pushed to the store. Arguments: shipment.
# The integrations app answers with an Error event saying what to set up.
shipment_untracked = Signal()

# Sent inside the transaction that found an order changed in the store after its production started here: the order
# is not held (printing cannot be undone). Arguments: order, change (an OrderSourceChange). The integrations app
# answers with an Error event for a person to agree with the client what happens.
order_changed_at_source = Signal()
