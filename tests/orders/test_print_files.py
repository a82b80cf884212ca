"""Print files (issue 5): downloaded over real HTTP from a small threaded server on loopback, checked, and a bad or
missing file holds its order until a replacement passes."""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfWriter

from printconnect.core.exceptions import ApplicationError
from printconnect.core.permissions import Role
from printconnect.integrations.models import IntegrationEvent
from printconnect.orders import print_checks
from printconnect.orders.models import Order, OrderStatusChange, PrintFile
from printconnect.orders.printfiles import RetryLaterError, print_file_download, print_file_replace
from printconnect.orders.services import order_intake, orders_intake_batch
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.orders import (
    catalog_product,
    line,
    order_data,
    shipping_method,
    store_defaults,
    store_product,
    variant_map,
)
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db
S, F = Order.Status, PrintFile.Status
A4_PT, A3_PT = (595.28, 841.89), (841.89, 1190.55)


def pdf_bytes(pages: int, size: tuple[float, float]) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=size[0], height=size[1])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
BOOKLET = pdf_bytes(24, A4_PT)


class FileServer:
    """Serves fixed routes; counts requests per path. Routes: bytes with a content type, or a status code."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.failures: dict[str, int] = {}  # path -> how many 503s before it answers
        self.routes: dict[str, tuple[int, str, bytes]] = {
            "/booklet.pdf": (200, "application/pdf", BOOKLET),
            "/a3.pdf": (200, "application/pdf", pdf_bytes(1, A3_PT)),
            "/photo.png": (200, "image/png", PNG),
            "/fake.pdf": (200, "application/octet-stream", b"<html><body>Log in to download</body></html>"),
            "/big.pdf": (200, "application/pdf", b"%PDF-1.7\n" + bytes(5000)),
            "/gone.pdf": (404, "text/html", b"not found"),
        }
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path
                server.hits[path] = server.hits.get(path, 0) + 1
                if path == "/slow.pdf":
                    time.sleep(1.0)
                if server.failures.get(path, 0) > 0:
                    server.failures[path] -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, content_type, body = server.routes.get(path, (200, "application/pdf", BOOKLET))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if path == "/big.pdf":  # no length: the limit must hold while streaming
                    self.send_header("Connection", "close")
                    self.end_headers()
                    # The client stops reading at the limit and hangs up: what the test wants.
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def files_server() -> Iterator[FileServer]:
    server = FileServer()
    yield server
    server.stop()


@pytest.fixture
def downloads(settings, tmp_path, loopback_allowed):
    settings.PRINT_FILE_DOWNLOADS = True
    settings.MEDIA_ROOT = str(tmp_path)
    settings.OUTBOUND_READ_TIMEOUT = 0.3
    settings.OUTBOUND_MAX_RETRIES = 1
    settings.PRINT_FILE_MAX_ATTEMPTS = 3


@pytest.fixture
def store():
    store = make_store(ClientFactory())
    store_defaults(store, default_shipping_method=shipping_method())
    return store


def _order(store, url: str, *, specs=None, number="1001", **line_fields) -> Order:
    """An order with one printed line whose variant's design file is `url` (A4, 24 pages unless told)."""
    external = f"p{number}"
    (variant,) = store_product(store, external).values()
    variant_map(variant, catalog_product(specs=specs or {"format": "A4", "pages": "24"}), design_file_url=url)
    return order_intake(store=store, data=order_data(number, line(product=external, **line_fields))).order


def _file(order: Order) -> PrintFile:
    return PrintFile.objects.get(item__order=order)


def test_a_matching_pdf_is_downloaded_stored_and_checked_once_the_order_is_committed(
    store, files_server, downloads, run_on_commit
):
    with run_on_commit():
        order = _order(store, files_server.url("/booklet.pdf"))
    print_file = _file(order)
    assert print_file.status == F.OK, print_file.error
    assert (print_file.size, print_file.content_type, print_file.page_count) == (len(BOOKLET), "application/pdf", 24)
    assert print_file.sha256 == hashlib.sha256(BOOKLET).hexdigest()
    assert (float(print_file.page_width_mm), float(print_file.page_height_mm)) == (210.0, 297.0)
    assert print_file.check_result == "24 pages, 210 x 297 mm: matches format A4, 24 pages."
    with print_file.file.open("rb") as stored:
        assert stored.read() == BOOKLET
    order.refresh_from_db()
    assert order.status == S.RECEIVED


def test_a_pdf_of_the_wrong_size_and_pages_holds_the_order_saying_what_differs_and_a_replacement_releases_it(
    store, files_server, downloads, run_on_commit
):
    with run_on_commit():
        order = _order(store, files_server.url("/a3.pdf"))
    print_file = _file(order)
    assert print_file.status == F.MISMATCH
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (S.ON_HOLD, Order.HoldReason.PRINT_FILE)
    assert "297 x 420 mm, the product is A4" in order.hold_detail
    assert "it has 1 page, the product has 24" in order.hold_detail
    held = OrderStatusChange.objects.filter(order=order, to_status=S.ON_HOLD).get()
    assert held.source == OrderStatusChange.Source.PIPELINE
    error = IntegrationEvent.objects.get(store=store, code="order.held.print_file", resolved_at__isnull=True)
    assert "does not match the product" in error.message and "1 order held" in error.message

    with run_on_commit():
        print_file_replace(item=print_file.item, actor=None, url=files_server.url("/booklet.pdf"))
    print_file.refresh_from_db()
    order.refresh_from_db()
    assert (print_file.status, print_file.source_url) == (F.OK, files_server.url("/booklet.pdf"))
    assert (order.status, order.hold_reason, order.hold_detail) == (S.RECEIVED, "", "")
    error.refresh_from_db()
    assert error.resolved_at is not None


def test_a_file_named_pdf_that_is_not_one_fails_at_once_and_holds_the_order(
    store, files_server, downloads, run_on_commit
):
    with run_on_commit():
        order = _order(store, files_server.url("/fake.pdf"))
    print_file = _file(order)
    assert print_file.status == F.FAILED and print_file.attempts == 1
    assert "'fake.pdf' is not a PDF, PNG, JPEG or TIFF file" in print_file.error
    assert not print_file.file
    order.refresh_from_db()
    assert order.status == S.ON_HOLD and "could not be used" in order.hold_detail


def test_a_404_fails_at_once_with_its_reason(store, files_server, downloads, run_on_commit):
    with run_on_commit():
        order = _order(store, files_server.url("/gone.pdf"))
    print_file = _file(order)
    assert (print_file.status, print_file.attempts) == (F.FAILED, 1)
    assert "was not found at its address (404)" in print_file.error
    assert files_server.hits["/gone.pdf"] >= 1  # the server was asked; attempts == 1: no retry of ours


def test_a_body_over_the_size_limit_is_refused_while_streaming(store, files_server, downloads, settings, run_on_commit):
    settings.PRINT_FILE_MAX_BYTES = 1000
    with run_on_commit():
        order = _order(store, files_server.url("/big.pdf"))
    print_file = _file(order)
    assert print_file.status == F.FAILED
    assert "'big.pdf' is larger than the 1000 bytes limit for print files" in print_file.error
    assert not print_file.file


def test_an_image_is_accepted_without_a_page_check(store, files_server, downloads, run_on_commit):
    with run_on_commit():
        order = _order(store, files_server.url("/photo.png"))
    print_file = _file(order)
    assert (print_file.status, print_file.content_type, print_file.page_count) == (F.OK, "image/png", None)


def test_5xx_is_retried_with_backoff_and_the_download_then_succeeds(store, files_server, downloads):
    files_server.failures["/flaky.pdf"] = 3  # the session tries twice per attempt (OUTBOUND_MAX_RETRIES=1)
    order = _order(store, files_server.url("/flaky.pdf"))
    print_file = _file(order)
    with pytest.raises(RetryLaterError) as first:
        print_file_download(print_file_id=print_file.pk)
    assert first.value.countdown > 0
    print_file.refresh_from_db()
    assert (print_file.status, print_file.attempts) == (F.PENDING, 1)
    assert "503" in print_file.error
    print_file = print_file_download(print_file_id=print_file.pk)
    assert (print_file.status, print_file.attempts) == (F.OK, 2)


def test_a_slow_server_times_out_and_the_file_fails_after_the_last_attempt(store, files_server, downloads):
    order = _order(store, files_server.url("/slow.pdf"))
    print_file = _file(order)
    for _ in range(2):
        with pytest.raises(RetryLaterError):
            print_file_download(print_file_id=print_file.pk)
    print_file = print_file_download(print_file_id=print_file.pk)
    assert (print_file.status, print_file.attempts) == (F.FAILED, 3)
    assert "Timeout" in print_file.error and "Gave up after 3 attempts" in print_file.error
    order.refresh_from_db()
    assert order.status == S.ON_HOLD


def test_a_private_address_is_refused_unless_allowed(store, files_server, downloads, settings, run_on_commit):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with run_on_commit():
        order = _order(store, files_server.url("/private.pdf"))
    print_file = _file(order)
    assert print_file.status == F.FAILED and "is not allowed" in print_file.error
    assert "/private.pdf" not in files_server.hits


def test_a_printed_line_without_any_file_holds_the_order_and_an_upload_releases_it(store, downloads, run_on_commit):
    with run_on_commit():
        order = _order(store, "")
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (S.ON_HOLD, Order.HoldReason.PRINT_FILE)
    assert "is printed but has no print file" in order.hold_detail
    assert not PrintFile.objects.filter(item__order=order).exists()
    item = order.items.get()
    upload = SimpleUploadedFile("my-booklet.pdf", BOOKLET, content_type="application/pdf")
    print_file = print_file_replace(item=item, actor=None, upload=upload)
    assert (print_file.status, print_file.original_name, print_file.page_count) == (F.OK, "my-booklet.pdf", 24)
    order.refresh_from_db()
    assert order.status == S.RECEIVED


def test_a_bad_upload_keeps_the_order_held_and_replacing_needs_a_held_order(store, downloads, run_on_commit):
    with run_on_commit():
        order = _order(store, "")
    item = order.items.get()
    bad = print_file_replace(item=item, actor=None, upload=SimpleUploadedFile("x.pdf", b"PK\x03\x04zip"))
    assert bad.status == F.FAILED
    order.refresh_from_db()
    assert order.status == S.ON_HOLD and "could not be used" in order.hold_detail
    print_file_replace(item=item, actor=None, upload=SimpleUploadedFile("ok.png", PNG, content_type="image/png"))
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    with pytest.raises(ApplicationError, match="is not on hold"):
        print_file_replace(item=item, actor=None, upload=SimpleUploadedFile("ok.png", PNG))


def test_stock_lines_need_no_file(store):
    order = order_intake(store=store, data=order_data("2001", line(product="501", product_type="stock"))).order
    assert order.status == S.RECEIVED and not PrintFile.objects.exists()


def _held_with_file(store) -> tuple[Order, PrintFile]:
    order = _order(store, "")
    item = order.items.get()
    print_file_replace(item=item, actor=None, upload=SimpleUploadedFile("wrong.pdf", pdf_bytes(1, A3_PT)))
    order.refresh_from_db()
    return order, PrintFile.objects.get(item=item)


def test_the_held_orders_page_shows_the_file_facts_and_only_those_who_see_the_orders_download_it(
    client, store, downloads
):
    _order_held, print_file = _held_with_file(store)
    member = make_member(store.client, Role.ORDER_MANAGER)
    client.login(username=member.email, password=PASSWORD)
    page = client.get(reverse("portal:store_held_orders", kwargs={"pk": store.pk}))
    text = page.content.decode()
    assert "Does not match the product" in text and print_file.sha256 in text and "297.0 x 420.0 mm" in text
    assert reverse("portal:print_file_download", kwargs={"pk": print_file.pk}) in text
    response = client.get(reverse("portal:print_file_download", kwargs={"pk": print_file.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert 'filename="wrong.pdf"' in response["Content-Disposition"]

    other = make_member(ClientFactory(), Role.ADMIN)
    client.login(username=other.email, password=PASSWORD)
    assert client.get(reverse("portal:print_file_download", kwargs={"pk": print_file.pk})).status_code == 404


def test_replace_file_form_on_the_portal_and_staff_download(client, store, downloads):
    order, print_file = _held_with_file(store)
    admin = make_member(store.client, Role.ADMIN)
    client.login(username=admin.email, password=PASSWORD)
    url = reverse("portal:order_item_print_file", kwargs={"pk": print_file.item_id})
    response = client.post(url, {"upload": SimpleUploadedFile("good.pdf", BOOKLET, content_type="application/pdf")})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    staff = StaffFactory()
    client.force_login(staff)
    response = client.get(reverse("staff_orders:print_file_download", kwargs={"pk": print_file.pk}))
    assert response.status_code == 200 and b"".join(response.streaming_content) == BOOKLET


def test_the_feed_batch_path_creates_and_queues_the_files_of_its_orders(store, files_server, downloads, run_on_commit):
    (variant,) = store_product(store, "b1").values()
    variant_map(variant, catalog_product(specs={"format": "A4"}), design_file_url=files_server.url("/photo.png"))
    with run_on_commit():
        results = orders_intake_batch(store=store, orders=[order_data(f"b-{n}", line(product="b1")) for n in range(3)])
    assert [r.order.status for r in results] == [S.RECEIVED] * 3
    assert list(PrintFile.objects.values_list("status", flat=True)) == [F.OK] * 3


@pytest.mark.parametrize(
    ("spec", "size", "differs"),
    [
        ("A4", (210, 297), False),
        ("A4", (297, 210), False),  # landscape
        ("A4", (216, 303), False),  # 3 mm bleed
        ("A4", (220, 297), True),
        ("85x55 mm", (85, 55), False),
        ("40x60 cm", (400, 600), False),
        ("40x60 cm", (40, 60), True),
        ("custom", (1, 1), False),  # names no size: nothing to compare
    ],
)
def test_page_sizes_are_compared_with_the_products_format(spec, size, differs):
    facts = print_checks.PdfFacts(1, Decimal(size[0]), Decimal(size[1]))
    assert bool(print_checks.pdf_against_specs(facts, {"format": spec})) is differs


def test_a_server_claiming_another_accepted_type_is_refused():
    with pytest.raises(print_checks.FileCheckError, match="is sent as image/png but its content is application/pdf"):
        print_checks.content_type_of(head=b"%PDF-1.7", declared="image/png", name="x.png")
