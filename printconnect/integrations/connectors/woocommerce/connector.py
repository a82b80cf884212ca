"""WooCommerceConnector: composes the client, the mapper and the webhook verifier."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from printconnect.integrations.connectors.base import Capability, Connector, KnownStates, known_unchanged
from printconnect.integrations.connectors.errors import (
    AuthRejectedError,
    BadResponseError,
    ConnectorError,
    MappingError,
    RateLimitedError,
    RecordNotFoundError,
    UnavailableError,
)
from printconnect.integrations.connectors.registry import register
from printconnect.integrations.connectors.types import (
    ConnectionCheck,
    CredentialField,
    ExternalImage,
    ExternalOrder,
    ExternalProduct,
    NewProduct,
    NewVariant,
    OrderStatus,
    Page,
    PushResult,
    ShipmentNotice,
    StockLevel,
    WebhookEvent,
)
from printconnect.integrations.connectors.woocommerce import mapper, webhooks
from printconnect.integrations.connectors.woocommerce.client import (
    RequestRefusedError,
    WooCommerceClient,
    page_from_cursor,
)
from printconnect.integrations.connectors.woocommerce.constants import (
    DEFAULT_STOCK_TAGS,
    STATUS_TO_WIRE,
    WEBHOOK_TOPICS,
)


@register
class WooCommerceConnector(Connector):
    """Store options: `stock_tags` (product tag slugs marking stock items), `shipment_tracking`
    (`"extension"`: push tracking to the Shipment Tracking extension; otherwise a private order note)."""

    key = "woocommerce"
    name = "WooCommerce"
    capabilities = frozenset(
        {
            Capability.ORDERS_PULL,
            Capability.ORDERS_WEBHOOK,
            Capability.PRODUCTS_PULL,
            Capability.PRODUCTS_CREATE,
            Capability.IMAGES_PULL,
            Capability.STOCK_PULL,
            Capability.STOCK_PUSH,
            Capability.SHIPMENT_PUSH,
            Capability.STATUS_PUSH,
        }
    )
    credential_fields = (
        CredentialField(
            "consumer_key", "Consumer key", secret=False, help_text="ck_… from Settings > Advanced > REST API"
        ),
        CredentialField("consumer_secret", "Consumer secret", secret=True, help_text="cs_…, Read/Write permission"),
        CredentialField(
            "webhook_secret", "Webhook secret", secret=True, help_text="the Secret of each webhook", required=False
        ),
    )
    webhook_topics = WEBHOOK_TOPICS

    @cached_property
    def client(self) -> WooCommerceClient:
        return WooCommerceClient(
            base_url=self.config.base_url,
            consumer_key=self.config.credentials.get("consumer_key", ""),
            consumer_secret=self.config.credentials.get("consumer_secret", ""),
            session=self.session,
        )

    @property
    def _stock_tags(self) -> tuple[str, ...]:
        return tuple(self.config.options.get("stock_tags") or DEFAULT_STOCK_TAGS)

    # --- connection ------------------------------------------------------------------------------------------------

    def check_connection(self) -> ConnectionCheck:
        """Reads the system status (is this WooCommerce, does the key work), then probes writing (is it Read/Write).

        Messages are for the person waiting on the answer: nothing retries a connection check for them.
        """
        try:
            status = self.client.system_status()
        except UnavailableError as exc:
            return ConnectionCheck(ok=False, message=f"{exc.message_now}.")
        except RateLimitedError as exc:
            return ConnectionCheck(ok=False, message=_throttled(exc))
        except ConnectorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)
        except ValueError as exc:
            return ConnectionCheck(ok=False, message=str(exc))
        version = str(status["environment"]["version"])
        try:
            self.client.probe_write()
        except AuthRejectedError as exc:
            if exc.status_code == 403:  # a firewall or a user role refusing writes, not the key's permission
                return ConnectionCheck(ok=False, message=exc.message, missing_permissions=("write",))
            return ConnectionCheck(
                ok=False,
                message=(
                    "The consumer key can read but not write; in WooCommerce > Settings > Advanced > REST API set "
                    "the key's Permissions to Read/Write (or create a new Read/Write key), then enter it again."
                ),
                missing_permissions=("write",),
            )
        except UnavailableError as exc:
            return ConnectionCheck(ok=False, message=f"{exc.message_now}.")
        except RateLimitedError as exc:
            return ConnectionCheck(ok=False, message=_throttled(exc))
        except ConnectorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)
        return ConnectionCheck(ok=True, message=f"Connected to WooCommerce {version}.")

    # --- orders ----------------------------------------------------------------------------------------------------

    def fetch_orders(
        self,
        *,
        updated_since: datetime | None = None,
        cursor: str | None = None,
        known: KnownStates | None = None,
        read_ahead: bool = False,
        held_only: bool = False,
    ) -> Iterator[Page[ExternalOrder]]:
        """Orders modified since `updated_since` (any status), oldest id first, 100 a page.

        The cursor is the number of the next page as a string; resume with the same `updated_since`. `known` and
        `read_ahead` as in `Connector.fetch_orders`. With `known`, each page is listed with only the fields that
        tell an order's state, and the full records of the new and changed ones follow in one request: a run over
        orders printconnect already holds moves a tenth of the data.
        """
        if known is not None:
            yield from self._orders_against_known(
                updated_since, cursor, known, read_ahead=read_ahead, held_only=held_only
            )
            return
        pages = self.client.list_orders(
            modified_after=updated_since, start_page=page_from_cursor(cursor), read_ahead=read_ahead
        )
        for raw in pages:
            items: list[ExternalOrder] = []
            errors: list[MappingError] = []
            unchanged: list[str] = []
            held = known([str(p["id"]) for p in raw.items if isinstance(p, Mapping) and "id" in p]) if known else {}
            for payload in raw.items:
                state = mapper.order_state_from_payload(payload) if held else None
                if state is not None and known_unchanged(held.get(state[0]), state[1], state[2], state[3]):
                    if updated_since is None or state[3] >= updated_since:
                        unchanged.append(state[0])
                    continue
                try:
                    order = mapper.order_from_payload(payload)
                except MappingError as exc:
                    errors.append(exc)
                    continue
                # WooCommerce before 5.8 ignores `modified_after`; keep the promise here.
                if updated_since is None or order.updated_at >= updated_since:
                    items.append(order)
            yield Page(items=items, next_cursor=raw.next_cursor, errors=errors, unchanged=unchanged)

    def _orders_against_known(
        self,
        updated_since: datetime | None,
        cursor: str | None,
        known: KnownStates,
        *,
        read_ahead: bool,
        held_only: bool,
    ) -> Iterator[Page[ExternalOrder]]:
        """While most orders of a page are held unchanged, pages are listed with only the fields that tell an order's
        state and the full records of the new and changed ones follow in one request: a run over orders
        printconnect holds moves a tenth of the data. While most are new, pages come in full at once."""
        light = True  # the next list request asks for the state fields only

        def fields() -> tuple[str, ...] | None:
            return mapper.ORDER_STATE_FIELDS if light else None

        pages = self.client.list_orders(
            modified_after=updated_since, start_page=page_from_cursor(cursor), read_ahead=read_ahead, fields=fields
        )
        for raw in pages:
            listed_in_full = "_fields" not in raw.query
            errors: list[MappingError] = []
            unchanged: list[str] = []
            not_held: list[str] = []
            wanted: list[str] = []
            payloads: dict[str, Any] = {}
            states = [(payload, mapper.order_state_from_payload(payload)) for payload in raw.items]
            held = known([state[0] for _, state in states if state is not None])
            for payload, state in states:
                if state is None:
                    order_id = payload.get("id") if isinstance(payload, Mapping) else None
                    if not (isinstance(order_id, int | str) and str(order_id).isdigit()):
                        errors.append(MappingError("id", "missing or not a number in the order list"))
                        continue
                    state_id = str(order_id)  # mapping its full record says what is wrong with it
                elif known_unchanged(held.get(state[0]), state[1], state[2], state[3]):
                    if updated_since is None or state[3] >= updated_since:
                        unchanged.append(state[0])
                    continue
                elif held_only and state[0] not in held:
                    if updated_since is None or state[3] >= updated_since:
                        not_held.append(state[0])
                    continue
                else:
                    state_id = state[0]
                wanted.append(state_id)
                if listed_in_full:
                    payloads[state_id] = payload
            missing = [order_id for order_id in wanted if order_id not in payloads]
            payloads.update({str(p.get("id")): p for p in self.client.get_orders(missing) if isinstance(p, Mapping)})
            items: list[ExternalOrder] = []
            for order_id in wanted:
                payload = payloads.get(order_id)
                if payload is None:
                    continue  # deleted between the two requests: the next run does not see it either
                try:
                    order = mapper.order_from_payload(payload)
                except MappingError as exc:
                    errors.append(exc)
                    continue
                if updated_since is None or order.updated_at >= updated_since:
                    items.append(order)
            # Mostly new or changed: asking for the full records at once saves the second request of each page.
            light = len(wanted) * 2 <= len(raw.items)
            yield Page(items=items, next_cursor=raw.next_cursor, errors=errors, unchanged=unchanged, not_held=not_held)

    def fetch_order(self, external_id: str) -> ExternalOrder:
        return mapper.order_from_payload(self.client.get_order(external_id))

    def push_status(self, external_order_id: str, status: OrderStatus, *, note: str = "") -> PushResult:
        wire = STATUS_TO_WIRE.get(OrderStatus(status))
        if wire is None:
            raise ValueError(f"WooCommerce has no order status for {status!r}; push one of {sorted(STATUS_TO_WIRE)}.")
        self.client.update_order_status(external_order_id, wire)
        if note:
            self.client.add_order_note(external_order_id, note)
        return PushResult(ok=True, message=f"Order {external_order_id} set to {wire}.", external_id=external_order_id)

    def push_shipment(self, notice: ShipmentNotice) -> PushResult:
        if self.config.options.get("shipment_tracking") == "extension":
            body: dict[str, Any] = {"tracking_number": notice.tracking_number}
            if notice.tracking_url:
                body.update(custom_tracking_provider=notice.carrier_name, custom_tracking_link=notice.tracking_url)
            else:
                body["tracking_provider"] = notice.carrier_name
            if notice.shipped_at is not None:
                body["date_shipped"] = notice.shipped_at.date().isoformat()
            data = self.client.add_shipment_tracking(notice.external_order_id, body)
            tracking_id = data.get("tracking_id")
            return PushResult(ok=True, message="Tracking added.", external_id=str(tracking_id) if tracking_id else None)
        text = f"Shipped with {notice.carrier_name or 'carrier'}: {notice.tracking_number}"
        if notice.tracking_url:
            text += f" ({notice.tracking_url})"
        data = self.client.add_order_note(notice.external_order_id, text)
        note_id = data.get("id")
        return PushResult(
            ok=True, message="Tracking added as an order note.", external_id=str(note_id) if note_id else None
        )

    # --- products, images, stock -----------------------------------------------------------------------------------

    def _variations(self, payload: Mapping[str, Any]) -> list[Any]:
        if payload.get("type") == "variable" and payload.get("id"):
            return self.client.list_variations(str(payload["id"]))
        return []

    def fetch_products(
        self, *, updated_since: datetime | None = None, cursor: str | None = None
    ) -> Iterator[Page[ExternalProduct]]:
        """Products with their variations; the cursor is the next page number, as for orders."""
        pages = self.client.list_products(modified_after=updated_since, start_page=page_from_cursor(cursor))
        for raw in pages:
            items: list[ExternalProduct] = []
            errors: list[MappingError] = []
            for payload in raw.items:
                try:
                    variations = self._variations(payload) if isinstance(payload, Mapping) else []
                    items.append(mapper.product_from_payload(payload, variations, stock_tags=self._stock_tags))
                except MappingError as exc:
                    errors.append(exc)
            yield Page(items=items, next_cursor=raw.next_cursor, errors=errors)

    def create_product(self, product: NewProduct) -> ExternalProduct:
        """POST /products, then (with options) the variations in one batch. A refused variation removes the product
        again, so a second attempt does not find half of it (and its SKUs) in the store."""
        try:
            created = self.client.create_product(mapper.product_to_payload(product))
        except RequestRefusedError as exc:
            raise BadResponseError(_refusal(exc.code, exc.wc_message, exc.params, sku=product.sku)) from exc
        if not isinstance(created.get("id"), int) or not created["id"]:
            raise BadResponseError(f"WooCommerce answered the new product without its id; {CHECK_PRODUCTS}")
        product_id = str(created["id"])
        if not product.options:
            return mapper.product_from_payload(created, stock_tags=self._stock_tags)
        failure: Exception
        try:
            entries = self.client.create_variations(product_id, mapper.variations_to_payload(product))
            refused = _refused_variation(product.variants, entries)
            if refused is None:
                return mapper.product_from_payload(created, entries, stock_tags=self._stock_tags)
            failure = BadResponseError(refused)
        except (ConnectorError, ValueError) as exc:
            failure = exc
        message = _what_failed(failure)
        try:
            self.client.delete_product(product_id)
        except ConnectorError as cleanup:
            raise BadResponseError(
                f"{message} printconnect could not remove the half-created product {product_id} again "
                f"({_what_failed(cleanup)}); delete it under Products in WooCommerce before publishing again."
            ) from failure
        raise BadResponseError(f"{message} Nothing was left in the store.") from failure

    def fetch_product_images(self, external_product_id: str) -> list[ExternalImage]:
        product = mapper.product_from_payload(self.client.get_product(external_product_id))
        variations = self._variations(product.raw)
        images = {image.id: image for image in product.images}
        for raw_variant in variations:
            variant = mapper.variant_from_payload(raw_variant)
            if variant.image is None:
                continue
            known = images.get(variant.image.id)
            if known is None:
                images[variant.image.id] = variant.image
            else:
                images[known.id] = ExternalImage(
                    id=known.id,
                    url=known.url,
                    alt=known.alt,
                    position=known.position,
                    variant_ids=(*known.variant_ids, variant.id),
                )
        return list(images.values())

    def fetch_stock(self, *, skus: Iterable[str]) -> list[StockLevel]:
        """Walks the catalogue (WooCommerce cannot look variations up by SKU in one call); stops when all are found."""
        wanted = {sku for sku in skus if sku}
        levels: list[StockLevel] = []
        for raw in self.client.list_products():
            for payload in raw.items:
                if not isinstance(payload, Mapping):
                    continue
                product_id = str(payload.get("id"))
                if payload.get("sku") in wanted and isinstance(payload.get("stock_quantity"), int):
                    levels.append(
                        StockLevel(sku=payload["sku"], quantity=payload["stock_quantity"], product_id=product_id)
                    )
                    wanted.discard(payload["sku"])
                for variation in self._variations(payload):
                    if not isinstance(variation, Mapping) or variation.get("sku") not in wanted:
                        continue
                    if isinstance(variation.get("stock_quantity"), int):
                        levels.append(
                            StockLevel(
                                sku=variation["sku"],
                                quantity=variation["stock_quantity"],
                                product_id=product_id,
                                variant_id=str(variation.get("id")),
                            )
                        )
                        wanted.discard(variation["sku"])
                if not wanted:
                    return levels
        return levels

    def push_stock(self, levels: Iterable[StockLevel]) -> PushResult:
        failures: dict[str, str] = {}
        pushed = 0
        for level in levels:
            if not level.product_id:
                failures[level.sku] = "no WooCommerce product id; run the product import so the SKU is linked"
                continue
            try:
                self.client.update_stock(level.product_id, level.variant_id, level.quantity)
            except RecordNotFoundError as exc:
                failures[level.sku] = exc.message
                continue
            pushed += 1
        return PushResult(
            ok=not failures, message=f"{pushed} stock levels pushed, {len(failures)} failed.", failures=failures
        )

    # --- webhooks --------------------------------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return webhooks.verify_webhook(headers, body, secret=self.config.credentials.get("webhook_secret", ""))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        return webhooks.parse_webhook(headers, body)


def _throttled(exc: RateLimitedError) -> str:
    wait = f"{exc.retry_after:g} s" if exc.retry_after is not None else "a minute"
    return f"The store is rate limiting printconnect (HTTP 429); wait {wait}, then try again."


CHECK_PRODUCTS = "check the store's Products in WooCommerce before publishing again."


def _refusal(code: str, said: str, params: Mapping[str, Any], *, sku: str, what: str = "the product") -> str:
    """What WooCommerce refused in a product or variation it was asked to create, and what to change."""
    if code == "product_invalid_sku":
        return (
            f"WooCommerce refused the SKU “{sku}”: another product or variant in the store already uses it. Choose "
            "another SKU prefix (or change that product's SKU in WooCommerce), then publish again."
        )
    details = "; ".join(f"{name}: {reason}" for name, reason in params.items()) if params else said
    return f"WooCommerce refused {what} ({code}: {details}); correct it, then publish again."


def _what_failed(exc: Exception) -> str:
    """What went wrong while creating a product, for the person publishing it: nothing retries a publish for them."""
    if isinstance(exc, UnavailableError):
        return f"{exc.problem} while the variants were created; publish again in a few minutes."
    if isinstance(exc, RateLimitedError):
        return "The store rate limited printconnect while the variants were created; publish again in a minute."
    if isinstance(exc, ConnectorError):
        return exc.message
    return str(exc)


def _refused_variation(variants: tuple[NewVariant, ...], entries: list[Any]) -> str | None:
    """What WooCommerce refused in the batch answer (entries in the order sent), or None when all were created."""
    if len(entries) != len(variants):
        return f"WooCommerce created {len(entries)} of the {len(variants)} variations asked for."
    for variant, entry in zip(variants, entries, strict=True):
        refused = mapper.batch_error(entry)
        if refused is not None:
            options = ", ".join(f"{name}: {value}" for name, value in variant.attributes.items())
            return _refusal(refused[0], refused[1], {}, sku=variant.sku, what=f"the variant {options}")
    return None
