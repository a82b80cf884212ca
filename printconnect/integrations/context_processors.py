from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from printconnect.integrations.selectors import open_error_count


def bell(request: HttpRequest) -> dict[str, Any]:
    """The top bar's bell: unresolved Errors the user can see (staff: all; client users: their stores)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.is_staff:
        return {"bell": {"count": open_error_count(user=user), "url": reverse("integration:event_list")}}
    if getattr(request, "client", None) is not None:  # set by the portal's access check
        return {"bell": {"count": open_error_count(user=user), "url": reverse("portal:event_list")}}
    return {}
