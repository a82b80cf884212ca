"""Store connectors: one package per platform, pure code (no Django), registered by key in `registry`."""
