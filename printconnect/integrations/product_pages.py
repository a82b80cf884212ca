""" "Add product" / "Publish to store" and "Sync products", shared by the portal (portal_products.py) and the staff
console (views.py): the same form, preview and messages; each side passes its own URLs and page template."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html

from printconnect.catalog.selectors import catalog_products_list
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.integrations.portal_forms import ProductAddForm
from printconnect.integrations.services import (
    ProductPublished,
    store_product_publish,
    store_product_publish_preview,
    store_products_sync,
    store_publish_refusal,
)
from printconnect.integrations.services.products import MAX_VARIANTS, store_publishes_remotely
from printconnect.storefronts.models import Store

PREVIEW_TEMPLATE = "portal/integrations/_publish_preview.html"
PREVIEW_ROWS = 12  # the preview lists this many variants, then "and N more"


@dataclass(frozen=True)
class PageUrls:
    """Where the page's links and redirects go on its side (portal or staff console)."""

    ns: str  # URL namespace: "portal" or "integration"
    products: str  # the store's Products tab: back after publishing or syncing
    runs: str = ""  # staff only: the store's feed runs


def product_add_page(request: HttpRequest, store: Store, *, urls: PageUrls, template: str) -> HttpResponse:
    refusal = store_publish_refusal(store)
    form = ProductAddForm(request.POST or None, catalog_products=catalog_products_list(active=True))
    preview, preview_error, options_error = None, "", ""
    wants_preview = request.method == "POST" and "preview" in request.POST
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            if wants_preview:
                preview = store_product_publish_preview(store=store, **form.publish_kwargs)
            else:
                published = store_product_publish(store=store, actor=request.user, **form.publish_kwargs)
                messages.success(request, _published_message(store, published))
                return redirect(urls.products)
        except ApplicationError as exc:
            if wants_preview:
                preview_error = exc.message
            elif exc.field == "options":
                options_error = exc.message
            else:
                add_application_error(form, exc)
    elif wants_preview:
        preview_error = "Pick a catalog product and fill in the title and price to see what will be created."
    context = {
        "store": store,
        "form": form,
        "refusal": refusal,
        "in_store": store_publishes_remotely(store),
        "preview": preview,
        "preview_rows": preview.variants[:PREVIEW_ROWS] if preview else (),
        "preview_more": max(0, len(preview.variants) - PREVIEW_ROWS) if preview else 0,
        "preview_error": preview_error,
        "options_error": options_error,
        "max_variants": MAX_VARIANTS,
        "urls": urls,
        "ns": urls.ns,
    }
    if wants_preview and request.htmx:
        return render(request, PREVIEW_TEMPLATE, context)
    return render(request, template, context)


def _published_message(store: Store, published: ProductPublished) -> str:
    count = len(published.variants)
    variants = f"{count} variant{'s' if count != 1 else ''}"
    uid = published.variants[0].catalog_product.uid if published.variants else ""
    if published.in_store:
        return f"Published “{published.product.title}” to {store.name} with {variants}, connected to {uid}."
    return f"Added “{published.product.title}” to {store.name} with {variants}, connected to {uid}."


def products_sync(request: HttpRequest, store: Store, *, urls: PageUrls) -> HttpResponse:
    try:
        feed = store_products_sync(store=store, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        started = "Product sync started; the list updates when it finishes."
        if urls.runs:
            link = f"{urls.runs}?{urlencode({'feed_id': feed.pk})}"
            messages.success(request, format_html('{} <a href="{}">See the run</a>.', started, link))
        else:
            messages.success(request, started)
    return redirect(urls.products)


def portal_urls(store: Store) -> PageUrls:
    return PageUrls(ns="portal", products=reverse("portal:store_products", kwargs={"pk": store.pk}))


def staff_urls(store: Store) -> PageUrls:
    return PageUrls(
        ns="integration",
        products=reverse("catalog:store_products", kwargs={"pk": store.pk}),
        runs=reverse("integration:run_list"),
    )
