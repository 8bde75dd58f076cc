"""API keys out of every text: each spelling a key can take in a message, and their removal.

A key can reach a message raw, or escaped: `repr` of the text or of its bytes, JSON, URL-quoted, with
its surrounding whitespace or without. A malformed key (a line break, a space, a non-ASCII character)
may also be cut at the bad character by whatever quotes it, so each of its whitespace-separated pieces
that is long enough to be secret is a form too. `redact` replaces every form, longest first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
MIN_PIECE = 6
"""Pieces of a malformed key shorter than this are not secret enough to hunt for (and would hit words)."""


def _spellings(secret: str) -> set[str]:
    forms = {
        secret,
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret.encode("utf-8", "surrogatepass"))[2:-1],
        secret.encode("unicode_escape").decode("ascii"),
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
    }
    if secret.isascii():
        forms.add(repr(secret.encode("latin-1"))[2:-1])
    return forms


def secret_forms(secrets: Iterable[str]) -> list[str]:
    """Every spelling of each secret that a text might contain, longest first."""
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        for variant in {secret, secret.strip()}:
            if variant:
                forms |= _spellings(variant)
        for piece in secret.split():
            if len(piece) >= MIN_PIECE:
                forms |= _spellings(piece)
    forms.discard("")
    # Longest first: an escaped form is replaced whole before the raw key inside it could be.
    return sorted(forms, key=len, reverse=True)


def redact(text: str, forms: Iterable[str]) -> str:
    """`text` with every form of every secret replaced by `[redacted]`."""
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def key_problem(key: str) -> str | None:
    """What is wrong with an API key's characters, in words (never quoting it); None if nothing.

    A key is sent in an HTTP header: printable ASCII without spaces once surrounding whitespace is
    stripped.
    """
    for char in key:
        if char in "\r\n":
            return "a line break"
        if char.isspace():
            return "a space or tab"
        if not char.isascii():
            return "a non-ASCII character"
        if not char.isprintable():
            return "a control character"
    return None
