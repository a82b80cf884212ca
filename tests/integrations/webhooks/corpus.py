"""Hostile variations of real signed WooCommerce deliveries, none of which may be accepted.

Each `Attempt` is a body and the WSGI environ entries of its headers (`HTTP_*`, `CONTENT_TYPE`), as a server hands
them to Django: duplicated headers arrive joined with commas, header names in any case arrive upper-cased.

Only the body and the signature are signed by WooCommerce; the other headers (topic, delivery id) are not, so
changing them alone is not a forgery (a replay is harmless: the order is fetched fresh). Every attempt here changes
the body, the signature, or both, or is an unsigned body that is not exactly the ping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

SIGNATURE = "HTTP_X_WC_WEBHOOK_SIGNATURE"
# The one unsigned body WooCommerce sends (the ping), written independently of the code under test.
EXACT_PING = re.compile(rb"webhook_id=[0-9]{1,20}")


@dataclass(frozen=True)
class Attempt:
    kind: str
    body: bytes
    meta: tuple[tuple[str, str], ...]

    @property
    def environ(self) -> dict[str, str]:
        return dict(self.meta)


def environ_of(headers: Mapping[str, str]) -> dict[str, str]:
    environ = {}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return environ


def sign(body: bytes, secret: str | bytes, digest: Callable[..., object] = hashlib.sha256) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, body, digest).digest()).decode()


@dataclass(frozen=True)
class Original:
    body: bytes
    environ: Mapping[str, str]

    @property
    def signature(self) -> str:
        return self.environ[SIGNATURE]


class Corpus:
    """`Corpus(originals, secret=..., other_secrets=[...]).attempts(10_000)`: distinct attempts, every kind in turn."""

    def __init__(self, originals: list[Original], *, secret: str, other_secrets: list[str], seed: int = 7) -> None:
        self.originals = originals
        self.secret = secret
        self.other_secrets = other_secrets
        self.rng = random.Random(seed)
        self.kinds: dict[str, Callable[[Original], Iterator[tuple[bytes, dict[str, str]]]]] = {
            "bit flip": self._bit_flips,
            "byte change": self._byte_changes,
            "truncation": self._truncations,
            "appended bytes": self._appended,
            "prepended bytes": self._prepended,
            "signature of another body": self._other_body,
            "wrong key": self._wrong_keys,
            "base64 variant": self._base64_variants,
            "signature character change": self._signature_changes,
            "duplicated header": self._duplicated,
            "header name game": self._header_games,
            "missing or empty signature": self._missing,
            "ping look-alike": self._ping_lookalikes,
        }

    def attempts(self, count: int) -> list[Attempt]:
        seen: set[tuple[bytes, tuple[tuple[str, str], ...]]] = set()
        valid = {(o.body, o.signature) for o in self.originals}
        out: list[Attempt] = []
        streams = {kind: self._stream(make) for kind, make in self.kinds.items()}  # each cycles over the originals
        while len(out) < count:
            if not streams:
                raise RuntimeError(f"The corpus generators ran dry at {len(out)} attempts; add originals.")
            for kind, stream in list(streams.items()):
                for _ in range(500):
                    body, environ = next(stream)
                    meta = tuple(sorted(environ.items()))
                    if (body, meta) in seen or (body, environ.get(SIGNATURE)) in valid:
                        continue
                    if SIGNATURE not in environ and EXACT_PING.fullmatch(body):
                        continue  # the real ping, which is rightly accepted
                    seen.add((body, meta))
                    out.append(Attempt(kind, body, meta))
                    break
                else:
                    del streams[kind]  # nothing new left in this kind
                if len(out) >= count:
                    break
        return out

    def _stream(
        self, make: Callable[[Original], Iterator[tuple[bytes, dict[str, str]]]]
    ) -> Iterator[tuple[bytes, dict[str, str]]]:
        while True:
            for original in self.rng.sample(self.originals, len(self.originals)):
                yield from make(original)

    # --- the body changes, the signature stays ---------------------------------------------------------------------

    def _bit_flips(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        for _ in range(8):
            body = bytearray(o.body)
            for _ in range(self.rng.randint(1, 3)):
                body[self.rng.randrange(len(body))] ^= 1 << self.rng.randrange(8)
            yield bytes(body), dict(o.environ)

    def _byte_changes(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        for _ in range(8):
            body = bytearray(o.body)
            at = self.rng.randrange(len(body))
            body[at] = (body[at] + self.rng.randint(1, 255)) % 256
            yield bytes(body), dict(o.environ)

    def _truncations(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        yield b"", dict(o.environ)
        yield o.body[:-1], dict(o.environ)
        for _ in range(6):
            yield o.body[: self.rng.randrange(len(o.body))], dict(o.environ)
            yield o.body[self.rng.randrange(1, len(o.body)) :], dict(o.environ)

    def _appended(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        for tail in (b"\n", b"\r\n", b" ", b"\x00", b"{}", b"&x=2", b'{"id":1}', b"\xff", o.body):
            yield o.body + tail, dict(o.environ)
        for _ in range(4):
            yield o.body + self.rng.randbytes(self.rng.randint(1, 16)), dict(o.environ)

    def _prepended(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        for head in (b" ", b"\n", b"\xef\xbb\xbf", b"\x00", b"webhook_id=1&"):
            yield head + o.body, dict(o.environ)

    # --- the body stays, the signature changes ---------------------------------------------------------------------

    def _with_signature(self, o: Original, signature: str, body: bytes | None = None) -> tuple[bytes, dict[str, str]]:
        return (o.body if body is None else body), {**o.environ, SIGNATURE: signature}

    def _other_body(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        for other in self.originals:
            if other.body != o.body:
                yield self._with_signature(o, other.signature)
        yield self._with_signature(o, sign(o.body + b"\n", self.secret))
        yield self._with_signature(o, sign(b"", self.secret))

    def _wrong_keys(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        keys = [
            *self.other_secrets,
            "",
            self.secret + "\n",
            self.secret[:-1],
            self.secret + "x",
            self.secret.upper(),
            self.secret.lower(),
            " " + self.secret,
            base64.b64encode(self.secret.encode()).decode(),
            hashlib.sha256(self.secret.encode()).hexdigest(),
        ]
        for key in keys:
            if key != self.secret:
                yield self._with_signature(o, sign(o.body, key))
        yield self._with_signature(o, sign(self.secret.encode(), o.body))  # key and message swapped
        for _ in range(3):
            yield self._with_signature(o, sign(o.body, self.rng.randbytes(32)))

    def _base64_variants(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        raw = hmac.new(self.secret.encode(), o.body, hashlib.sha256).digest()
        good = o.signature
        variants = [
            base64.urlsafe_b64encode(raw).decode(),
            good.rstrip("="),
            good + "=",
            good + "==",
            good.replace("=", "%3D"),
            good.replace("+", "%2B").replace("/", "%2F"),
            good.replace("+", " "),
            base64.b32encode(raw).decode(),
            base64.b16encode(raw).decode(),
            raw.hex(),
            raw.hex().upper(),
            base64.b64encode(raw.hex().encode()).decode(),
            base64.b64encode(good.encode()).decode(),
            f"sha256={good}",
            f"sha256={raw.hex()}",
            f"v1,{good}",
            good[:22] + "\n" + good[22:],
            sign(o.body, self.secret, hashlib.sha1),
            sign(o.body, self.secret, hashlib.sha512),
            sign(o.body, self.secret, hashlib.md5),
            base64.b64encode(hashlib.sha256(o.body).digest()).decode(),  # a plain digest, no key
            base64.b64encode(raw[:-1]).decode(),
            base64.b64encode(raw + b"\x00").decode(),
            good.encode().decode("ascii").swapcase(),
        ]
        # Non-canonical base64: the last character's unused bits set still decodes to the same 32 bytes.
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        last = good.rstrip("=")[-1]
        for bits in range(1, 4):
            twin = alphabet[alphabet.index(last) | bits]
            if twin != last:
                variants.append(good.rstrip("=")[:-1] + twin + "=")
        for variant in variants:
            if variant != good:
                yield self._with_signature(o, variant)

    def _signature_changes(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        good = o.signature
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
        for _ in range(10):
            at = self.rng.randrange(len(good))
            replacement = self.rng.choice(alphabet.replace(good[at], ""))
            yield self._with_signature(o, good[:at] + replacement + good[at + 1 :])
        yield self._with_signature(o, good[:-1])
        yield self._with_signature(o, good[1:])
        yield self._with_signature(o, good[::-1])
        yield self._with_signature(o, good.lower())
        yield self._with_signature(o, good.upper())
        yield self._with_signature(o, "é" + good[1:])  # not ASCII

    # --- headers ---------------------------------------------------------------------------------------------------

    def _duplicated(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        good = o.signature
        forged = sign(o.body, self.rng.choice(self.other_secrets))
        for joined in (f"{good},{good}", f"{good}, {good}", f"{forged},{good}", f"{good},{forged}", f"{good},"):
            yield self._with_signature(o, joined)
        # the body tampered with, the right signature sent twice
        yield self._with_signature(o, f"{good},{good}", o.body + b" ")

    def _header_games(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        good = o.signature
        unsigned = {k: v for k, v in o.environ.items() if k != SIGNATURE}
        for name in (
            "HTTP_X_WC_WEBHOOK_SIGNATURE_256",
            "HTTP_X_WC_SIGNATURE",
            "HTTP_X_WEBHOOK_SIGNATURE",
            "HTTP_X_HUB_SIGNATURE_256",
            "HTTP_X_WC_WEBHOOK_SIGNATUR",
            "HTTP_SIGNATURE",
            "X_WC_WEBHOOK_SIGNATURE",  # not a header at all: an environ key without HTTP_
            "HTTP_X_SHOPIFY_HMAC_SHA256",
        ):
            yield o.body + b" ", {**unsigned, name: good}  # the real header missing, the body changed
            yield o.body, {**unsigned, name: sign(o.body + b"x", self.secret)}
        yield o.body, {**unsigned, "HTTP_AUTHORIZATION": f"HMAC {good}", SIGNATURE: good.swapcase()}
        # Names in odd case reach Django upper-cased: same header, forged values.
        forged = sign(o.body, self.rng.choice(self.other_secrets))
        yield o.body, {**unsigned, SIGNATURE: forged, "HTTP_X_WC_WEBHOOK_TOPIC": "order.created"}
        yield o.body, {**unsigned, SIGNATURE: forged.lower()}

    def _missing(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        unsigned = {k: v for k, v in o.environ.items() if k != SIGNATURE}
        yield o.body, unsigned
        yield o.body, {**unsigned, SIGNATURE: ""}
        yield o.body, {**unsigned, "CONTENT_TYPE": "application/x-www-form-urlencoded"}
        yield o.body + b"\n", unsigned

    def _ping_lookalikes(self, o: Original) -> Iterator[tuple[bytes, dict[str, str]]]:
        form = {
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "HTTP_USER_AGENT": o.environ.get("HTTP_USER_AGENT", ""),
        }
        n = str(self.rng.randint(1, 10**6))
        bodies = [
            f"webhook_id={n}&x=2",
            f"webhook_id={n}\n",
            f"webhook_id={n}\r\n",
            f" webhook_id={n}",
            f"webhook_id={n} ",
            "webhook_id=",
            f"webhook_id=-{n}",
            f"webhook_id=+{n}",
            f"webhook_id={n}.0",
            f"webhook_id=0x{n}",
            f"webhook_id={n}e3",
            f"WEBHOOK_ID={n}",
            f"Webhook_id={n}",
            f"webhookid={n}",
            f"webhook_id=={n}",
            f"webhook_id={n}&webhook_id=2",
            f"webhook_id[]={n}",
            "webhook_id=%31",
            f"webhook_id={n}%00",
            f"webhook_id={n}\x00",
            f"webhook_id={n};x",
            f"x=2&webhook_id={n}",
            f"webhook_id={n}#",
            f"\ufeffwebhook_id={n}",
            "webhook_id=１",
            "webhook_id=٣",
            "webhook_id=" + "9" * 21,
            f'{{"webhook_id": {n}}}',
            f"webhook_id={n}&" + o.body.decode("utf-8", "replace"),
        ]
        for body in bodies:
            data = body.encode()
            yield data, dict(form)
            yield data, {**form, "HTTP_X_WC_WEBHOOK_TOPIC": "order.created", "HTTP_X_WC_WEBHOOK_ID": n}
        # The exact ping form, but with a signature header that does not verify: a signature present must verify.
        yield f"webhook_id={n}".encode(), {**form, SIGNATURE: sign(f"webhook_id={n}".encode(), "guess")}
        yield f"webhook_id={n}".encode(), {**form, SIGNATURE: ""}
