"""A store's Bulk operations in the portal: export of its products for mapping, upload and preview of a filled-in
file, confirmation, history. Thin: selectors read, catalog.mapping_imports acts.

Who may do what: anyone who sees the store's products exports and reads the history (Read-only included);
importing, confirming and discarding need the right to change the store's products (Read-only: 403). A store the
user cannot see, or another client's import, answers 404.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from printconnect.catalog import mapping_imports, resources
from printconnect.catalog.models import MappingImport
from printconnect.clients.access import portal_member_required
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.storefronts import selectors as store_selectors
from printconnect.storefronts.models import Store

HISTORY_PAGE_SIZE = 20


class MappingImportForm(forms.Form):
    file = forms.FileField(
        label="Filled-in file",
        help_text="The export of this store with “Product UID” and “Design file URL” filled in, as CSV or XLSX.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    mode = forms.ChoiceField(
        label="When some rows have errors",
        choices=[
            (MappingImport.Mode.ALL_OR_NOTHING, "All or nothing: apply no row until every row is right"),
            (MappingImport.Mode.VALID_ROWS, "Apply valid rows: skip the rows with errors"),
        ],
        initial=MappingImport.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )


class ConfirmForm(forms.Form):
    mode = forms.ChoiceField(choices=MappingImport.Mode.choices)


def _store(request: HttpRequest, pk: int) -> Store:
    stores = store_selectors.stores_for_user(user=request.user, perm=perms.VIEW_STORE_PRODUCTS)
    return get_object_or_404(stores.filter(client=request.client), pk=pk)


def _may_change(request: HttpRequest, store: Store) -> bool:
    return request.user.has_perm(f"storefronts.{perms.CHANGE_STORE_PRODUCTS}", store)


def _require_change(request: HttpRequest, store: Store) -> None:
    if not _may_change(request, store):
        raise PermissionDenied("Your role lets you export this store's products, not import mappings.")


def _import(request: HttpRequest, pk: int) -> MappingImport:
    visible = mapping_imports.mapping_imports_for_user(user=request.user, client=request.client)
    row = get_object_or_404(visible.select_related("store__client"), pk=pk)
    return mapping_imports.mapping_import_stale_close(mapping_import=row)


@portal_member_required
def store_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store(request, pk)
    can_change = _may_change(request, store)
    form = MappingImportForm()
    if request.method == "POST":
        _require_change(request, store)
        form = MappingImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                row = mapping_imports.mapping_import_start(
                    store=store, upload=form.cleaned_data["file"], mode=form.cleaned_data["mode"], actor=request.user
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                return redirect("portal:mapping_import_detail", pk=row.pk)
    history = Paginator(mapping_imports.mapping_imports_for_store(store=store), HISTORY_PAGE_SIZE)
    context = {
        "store": store,
        "can_change": can_change,
        "form": form,
        "page": history.get_page(request.GET.get("page")),
        "max_mb": settings.MAPPING_IMPORT_MAX_BYTES // (1024 * 1024),
        "clear_mark": mapping_imports.CLEAR_MARK,
        "headers": resources.EXPORT_HEADERS,
    }
    return render(request, "portal/catalog/bulk/store_bulk.html", context, status=200)


@require_GET
@portal_member_required
def store_bulk_export(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store(request, pk)
    file_format = request.GET.get("format", "csv")
    stem = f"{slugify(store.name) or 'store'}-products-{timezone.now():%Y-%m-%d}"
    if file_format == "xlsx":
        return FileResponse(
            resources.xlsx_export_file(store=store),
            as_attachment=True,
            filename=f"{stem}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    if file_format != "csv":
        raise Http404("Export formats: csv or xlsx.")
    response = StreamingHttpResponse(resources.csv_export_chunks(store=store), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response


@portal_member_required
def mapping_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = _import(request, pk)
    context = {
        "row": row,
        "store": row.store,
        "can_change": _may_change(request, row.store),
        "errors": row.errors,
        "errors_more": max(row.rows_error - len(row.errors), 0),
        "Status": MappingImport.Status,
        "Mode": MappingImport.Mode,
    }
    if request.htmx and request.htmx.target == "import-progress":
        response = render(request, "portal/catalog/bulk/_import_progress.html", context)
        if not row.is_running:
            response["HX-Refresh"] = "true"  # finished: show the preview (or the result) in full
        return response
    return render(request, "portal/catalog/bulk/mapping_import_detail.html", context)


@require_POST
@portal_member_required
def mapping_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    row = _import(request, pk)
    _require_change(request, row.store)
    form = ConfirmForm(request.POST)
    mode = form.cleaned_data["mode"] if form.is_valid() else row.mode
    try:
        mapping_imports.mapping_import_confirm(mapping_import=row, mode=mode, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("portal:mapping_import_detail", pk=row.pk)


@require_POST
@portal_member_required
def mapping_import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    row = _import(request, pk)
    _require_change(request, row.store)
    try:
        mapping_imports.mapping_import_discard(mapping_import=row, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("portal:mapping_import_detail", pk=row.pk)
    messages.success(request, f"Import of “{row.original_name}” discarded; nothing was changed.")
    return redirect("portal:store_bulk", pk=row.store_id)


@require_GET
@portal_member_required
def mapping_import_file(request: HttpRequest, pk: int) -> HttpResponse:
    row = _import(request, pk)
    try:
        handle = row.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The uploaded file is no longer kept.") from exc
    return FileResponse(handle, as_attachment=True, filename=row.original_name)
