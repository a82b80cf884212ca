from typing import Any

from django.http import HttpRequest
from guardian.core import ObjectPermissionChecker

from printconnect.core import permissions as perms


def portal(request: HttpRequest) -> dict[str, Any]:
    """Navigation flags for the side bar: the role's permissions on the client, read with the membership."""
    client = getattr(request, "client", None)
    if client is None:
        return {}
    granted = getattr(request.membership, "client_perms", None)  # read with the membership (clients.selectors)
    if granted is None or request.user.is_superuser:  # guardian grants a superuser everything
        granted = set(ObjectPermissionChecker(request.user).get_perms(client))
    return {
        "portal_client": client,
        "portal_membership": request.membership,
        "portal_nav": {
            "stores": perms.VIEW_CLIENT_STORES in granted,
            "orders": perms.VIEW_CLIENT_ORDERS in granted,
            "users": perms.MANAGE_MEMBERS in granted,
            "add_store": perms.ADD_STORE in granted,
        },
    }
