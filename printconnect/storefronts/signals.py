"""Signals storefronts sends for the apps above it, which it may not import."""

from django.dispatch import Signal

# Sent inside the transaction that moved a store's activation date. Arguments: store, before, after (aware
# datetimes or None). The integrations app answers a move back in time by making the next order import start from
# the new date (a backfill).
store_activation_date_changed = Signal()
