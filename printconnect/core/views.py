"""Plumbing views that belong to no app."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and uptime checks: the process answers. Deliberately touches no database or broker, so
    a slow dependency does not take every web process out of rotation at once."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


def redirect_to_next(request: HttpRequest, *, inside: str, fallback: str) -> HttpResponse:
    """Back to the page a POST came from (its `next` field) when that is a path under `inside`, else to `fallback`:
    a forged `next` never leads off the site."""
    target = request.POST.get("next", "")
    if target.startswith(inside) and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)
