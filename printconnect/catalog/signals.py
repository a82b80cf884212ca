"""Signals the catalog sends for the apps above it, which it may not import (layering: catalog <- orders)."""

from django.dispatch import Signal

# Sent after variants of one store got a new or changed mapping (one by one or by a bulk import), once the change
# is committed. Arguments: store, variant_ids (StoreVariant primary keys). The orders app answers with the held
# orders that contain those variants; the intake pipeline re-processes them.
variant_mappings_saved = Signal()
