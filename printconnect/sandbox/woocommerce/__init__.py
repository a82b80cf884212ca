"""WooCommerce REST API v3 emulator: `app.WooCommerceSandbox` (WSGI) and `seed` (deterministic demo data)."""

from printconnect.sandbox.woocommerce.app import Faults, Store, WooCommerceSandbox

__all__ = ["Faults", "Store", "WooCommerceSandbox"]
