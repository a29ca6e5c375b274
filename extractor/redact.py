"""Secrets kept out of everything cqc-extract writes down or shows.

A server URL may carry credentials (``https://user:password@host/v1``, ``?api-key=...``) and a
server's error text may echo the key it was sent. :func:`redact_url` is the one rule for a URL
that is stored or printed (run log, batch manifest and state file, cache keys): the user
information and every query parameter named like a secret are dropped, the rest is kept.
:func:`redact_text` applies it to every URL inside a message, masks ``name=value`` pairs whose
name is a secret's, and masks the secrets this process knows of (``$OPENAI_API_KEY``, the
credentials of ``$OPENAI_BASE_URL`` and of each URL passed to :func:`remember_url_secrets`).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

#: Words that make a name (of an argument, a query parameter, a header) a secret's.
SECRET_WORDS: Final = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "sig",
        "signature",
        "auth",
        "authorization",
        "credential",
        "credentials",
    }
)
MASK: Final = "***"
#: Secrets shorter than this are not searched for in text (they would mask ordinary words).
_MIN_SECRET: Final = 4
_WORD_SPLIT: Final = re.compile(r"[^a-z0-9]+")
_URL_IN_TEXT: Final = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>`]+")
_PAIR_IN_TEXT: Final = re.compile(r"(?i)\b([a-z0-9_.-]+)(\s*=\s*|\"?\s*:\s*\")([^\s&'\",;)]+)")
_BEARER: Final = re.compile(r"(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}")
_OPENAI_KEY: Final = re.compile(r"\bsk-[A-Za-z0-9_-]{12,}")
_remembered: set[str] = set()


def is_secret_name(name: str) -> bool:
    """True when ``name`` (``api_key``, ``X-Api-Key``, ``access_token``, ``sig``...) names a
    secret: one of its words is in :data:`SECRET_WORDS`."""
    words = [w for w in _WORD_SPLIT.split(name.lower()) if w]
    return any(w in SECRET_WORDS for w in words) or name.lower().replace("-", "") in SECRET_WORDS


@functools.lru_cache(maxsize=64)
def redact_url(url: str) -> str:
    """``url`` without user information, without query parameters named like secrets and
    without a fragment. Anything that does not parse as a URL with a scheme and host is
    returned as it is."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if port:
        host = f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_secret_name(k)
    ]
    return urlunsplit((parts.scheme, host, parts.path, urlencode(query), ""))


def url_secrets(url: str | None) -> list[str]:
    """The credentials a URL carries: its password (and user name), and the values of its
    query parameters named like secrets."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        found = [parts.password, parts.username]
    except ValueError:
        return []
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if is_secret_name(k)]
    # Both as written and decoded: a server may echo either.
    raw = re.findall(r"[?&]([^=&#]+)=([^&#]*)", url)
    found += [v for k, v in raw if is_secret_name(unquote(k))]
    return [s for s in found if s]


def remember_url_secrets(url: str | None) -> None:
    """Mask the credentials of ``url`` wherever :func:`redact_text` runs from now on."""
    _remembered.update(s for s in url_secrets(url) if len(s) >= _MIN_SECRET)


def known_secrets() -> list[str]:
    """What :func:`redact_text` masks by value, longest first."""
    found = set(_remembered)
    key = os.environ.get("OPENAI_API_KEY")
    if key:
        found.add(key)
    found.update(url_secrets(os.environ.get("OPENAI_BASE_URL")))
    return sorted((s for s in found if len(s) >= _MIN_SECRET), key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` (a message, a server's error text) with every URL redacted, every
    ``secret-name=value`` masked, OpenAI-style keys and bearer tokens masked, and every known
    secret (see :func:`known_secrets`, plus ``secrets``) replaced by ``***``."""
    for secret in sorted(
        {*known_secrets(), *(s for s in secrets if len(s) >= _MIN_SECRET)}, key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
    text = _PAIR_IN_TEXT.sub(
        lambda m: (
            m.group(0)
            if not is_secret_name(m.group(1)) or m.group(3) == MASK
            else f"{m.group(1)}{m.group(2)}{MASK}"
        ),
        text,
    )
    return _OPENAI_KEY.sub("sk-" + MASK, text)


__all__ = [
    "MASK",
    "SECRET_WORDS",
    "is_secret_name",
    "known_secrets",
    "redact_text",
    "redact_url",
    "remember_url_secrets",
    "url_secrets",
]
