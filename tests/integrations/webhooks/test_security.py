"""The security corpus: 10,000 mutated deliveries through the whole Django stack, none accepted.

Each attempt is posted with Django's test client (middleware, URL routing, the view) to a store connected to the
sandbox, with on_commit callbacks and tasks running: an attempt wrongly accepted would be stored, processed and
would import its order from the sandbox. The control at the end posts the unmutated originals and sees exactly that.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

import pytest

from printconnect.integrations.models import WebhookDelivery
from printconnect.orders.models import Order
from tests.integrations.webhooks.corpus import Corpus, Original, environ_of

pytestmark = pytest.mark.django_db

ATTEMPTS = 10_000


@pytest.fixture
def originals(shop) -> list[Original]:
    with shop.remote.lock:
        order_ids = sorted(shop.remote.orders)
        product_ids = sorted(shop.remote.products)
    made = [shop.request("order.created", oid) for oid in order_ids]
    made += [shop.request("order.updated", oid) for oid in order_ids[:5]]
    made += [shop.request("order.deleted", oid) for oid in order_ids[-3:]]
    made += [shop.request("product.updated", pid) for pid in product_ids]
    return [Original(body, environ_of(headers)) for body, headers in made]


def test_no_mutated_delivery_is_accepted_when_ten_thousand_are_posted(
    client, shop, sandbox, originals, caplog, run_on_commit
):
    other_shop = sandbox.app.create_store(f"{shop.remote.slug[:40]}-other", name="other")
    corpus = Corpus(
        originals,
        secret=shop.remote.webhook_secret,
        other_secrets=[other_shop.webhook_secret, shop.remote.consumer_secret, shop.remote.consumer_key],
    )
    attempts = corpus.attempts(ATTEMPTS)
    kinds = Counter(attempt.kind for attempt in attempts)
    assert len(attempts) == ATTEMPTS and set(kinds) == set(corpus.kinds), kinds
    assert min(kinds.values()) >= 100, kinds

    caplog.set_level(logging.WARNING, logger="printconnect.integrations.webhooks")
    shop.remote.clear_requests()
    answers: Counter[int] = Counter()
    not_refused = []
    started = time.perf_counter()
    with run_on_commit():
        for attempt in attempts:
            status = client.generic("POST", shop.url, data=attempt.body, **attempt.environ).status_code
            answers[status] += 1
            if status != 401:
                not_refused.append((attempt.kind, status, attempt.body[:80], attempt.environ))
    elapsed = time.perf_counter() - started

    assert not not_refused, not_refused[:5]
    assert answers == {401: ATTEMPTS}
    assert not WebhookDelivery.objects.exists()
    assert not Order.objects.exists()
    assert shop.remote.requests() == []  # nothing was ever fetched from the store
    refusals = [r for r in caplog.records if r.getMessage() == "integrations.webhook.bad_signature"]
    assert len(refusals) == ATTEMPTS and {r.store_id for r in refusals} == {shop.store.pk}
    assert elapsed < 60, f"{ATTEMPTS} attempts took {elapsed:.1f} s"

    # Control: the same store and secret take every original, so an accepted forgery would have left rows.
    with run_on_commit():
        statuses = {client.generic("POST", shop.url, data=o.body, **o.environ).status_code for o in originals}
    assert statuses == {200}
    assert WebhookDelivery.objects.filter(store=shop.store).count() == len(originals)
    assert Order.objects.filter(store=shop.store).exists()
