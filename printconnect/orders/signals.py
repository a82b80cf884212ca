"""Signals the orders app sends for the apps above it, which it may not import (layering: orders <- integrations)."""

from django.dispatch import Signal

# Sent inside the transaction that created a shipment whose carrier neither the store's carrier rules nor its
# default carrier name: the shipment is kept, but its tracking cannot be pushed to the store. Arguments: shipment.
# The integrations app answers with an Error event saying what to set up.
shipment_untracked = Signal()
