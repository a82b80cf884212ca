"""Client roles and the object permissions each one grants (DESIGN section 7).

A role is a set of django-guardian object permissions on the client and on its stores. This table is the
only place that says what a role may do; services apply it, selectors and views check the permissions.
"""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    STORE_MANAGER = "store_manager", "Store manager"
    ORDER_MANAGER = "order_manager", "Order manager"
    READ_ONLY = "read_only", "Read-only"


ROLE_DESCRIPTIONS = {
    Role.ADMIN: "Everything of the client: all stores, products, orders, settings and users.",
    Role.STORE_MANAGER: "Only the stores assigned to them, and those stores' products.",
    Role.ORDER_MANAGER: "Orders of every store; no store settings, products or users.",
    Role.READ_ONLY: "Sees stores, products and orders; changes nothing.",
}

# Permissions on clients.Client.
VIEW_CLIENT = "view_client"
MANAGE_MEMBERS = "manage_members"
ADD_STORE = "add_client_store"
VIEW_CLIENT_STORES = "view_client_stores"
VIEW_CLIENT_ORDERS = "view_client_orders"

# Permissions on storefronts.Store.
VIEW_STORE = "view_store"
CHANGE_STORE = "change_store"
VIEW_STORE_PRODUCTS = "view_store_products"
CHANGE_STORE_PRODUCTS = "change_store_products"
VIEW_STORE_ORDERS = "view_store_orders"
CHANGE_STORE_ORDERS = "change_store_orders"

CLIENT_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({VIEW_CLIENT, MANAGE_MEMBERS, ADD_STORE, VIEW_CLIENT_STORES, VIEW_CLIENT_ORDERS}),
    Role.STORE_MANAGER: frozenset({VIEW_CLIENT, VIEW_CLIENT_STORES}),
    Role.ORDER_MANAGER: frozenset({VIEW_CLIENT, VIEW_CLIENT_ORDERS}),
    Role.READ_ONLY: frozenset({VIEW_CLIENT, VIEW_CLIENT_STORES, VIEW_CLIENT_ORDERS}),
}

STORE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            VIEW_STORE,
            CHANGE_STORE,
            VIEW_STORE_PRODUCTS,
            CHANGE_STORE_PRODUCTS,
            VIEW_STORE_ORDERS,
            CHANGE_STORE_ORDERS,
        }
    ),
    Role.STORE_MANAGER: frozenset({VIEW_STORE, CHANGE_STORE, VIEW_STORE_PRODUCTS, CHANGE_STORE_PRODUCTS}),
    Role.ORDER_MANAGER: frozenset({VIEW_STORE_ORDERS, CHANGE_STORE_ORDERS}),
    Role.READ_ONLY: frozenset({VIEW_STORE, VIEW_STORE_PRODUCTS, VIEW_STORE_ORDERS}),
}

# Roles whose store permissions cover every store of the client, including stores added later.
ALL_STORES_ROLES = frozenset({Role.ADMIN, Role.ORDER_MANAGER, Role.READ_ONLY})


def role_covers_all_stores(role: str) -> bool:
    return role in ALL_STORES_ROLES
