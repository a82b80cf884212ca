"""Orders, items, print files, shipments, the status workflow and the intake pipeline."""
