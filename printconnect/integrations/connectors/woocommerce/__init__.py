"""WooCommerce (REST API v3): orders, products, images, stock, status and webhooks."""

from printconnect.integrations.connectors.woocommerce.connector import WooCommerceConnector

__all__ = ["WooCommerceConnector"]
