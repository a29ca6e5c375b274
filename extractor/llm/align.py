"""Locating a model's quote in the document text, and mapping it back to the exact span.

A model gives quotes, never offsets: offsets are computed here, by finding the quote in the
text. The result is always a span of the text itself, so evidence made from it satisfies
``text[start:end] == quote`` with the *text's* characters, whatever the model typed.

Matching runs in two passes (as langextract's aligner does: exact first, tolerant only for
the leftovers):

1. **exact**: ``str.find`` of the quote, trimmed of surrounding white space;
2. **normalized**: both sides folded the same way, then searched, and the match mapped back
   through a per-character index to the original span. Folding makes these equal:

   - white space: any run of spaces, tabs, line breaks or no-break spaces is one space;
   - typographic punctuation: curly single/double quotes and primes become ``'`` / ``"``,
     every dash and hyphen variant becomes ``-``, the ellipsis character becomes ``...``;
   - invisible characters (zero-width space, soft hyphen, BOM) are dropped;
   - case: letters are lower-cased.

3. **elided** (:func:`locate_elided`): a quote cut with an ellipsis ("first words ... last
   words", also "…" or "[...]") stands for the whole passage from its first words to its
   last. Each piece is found (exactly, else folded) in order inside one event's part of the
   page, and the evidence is the whole passage, so ``text[start:end] == quote`` still holds.
   Where several chains of pieces fit, the shortest wins.

Where a quote occurs more than once, the first occurrence inside the first preferred span
(the event's own part of the page, then the chunk the model read) wins, else the first
occurrence anywhere. Half-open ``[start, end)`` offsets in Python ``str`` indices, as in
:mod:`extractor.records`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

MatchKind = Literal["exact", "normalized", "elided"]

_FOLD: Final[dict[str, str]] = {
    **dict.fromkeys("‘’‚‛′‵`´", "'"),
    **dict.fromkeys("“”„‟″‶«»", '"'),
    **dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"),
    "…": "...",
}
_DROP: Final = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
#: How many exact occurrences are examined for a preferred one (a quote like "Good" can
#: occur hundreds of times on a long page; the first few hundred are plenty).
_MAX_OCCURRENCES: Final = 500


@dataclass(frozen=True)
class Located:
    """Where a quote stands in the text: ``text[start:end]``, and how it was matched."""

    start: int
    end: int
    how: MatchKind


def _fold_char(ch: str) -> str:
    if ch in _DROP:
        return ""
    if ch.isspace():
        return " "
    return _FOLD.get(ch, ch).lower()


def fold(s: str) -> str:
    """``s`` folded as :func:`locate` folds both sides (white space collapsed, trimmed)."""
    out: list[str] = []
    for ch in s:
        f = _fold_char(ch)
        if f == " " and (not out or out[-1] == " "):
            continue
        out.append(f)
    return "".join(out).strip()


class FoldedText:
    """A text folded once, with the original index of every folded character.

    Build one per document and reuse it for every quote. Folding is linear in the text and
    done on first use only: most quotes match exactly and never need it.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded: str | None = None
        self._origin: list[int] = []

    def _fold(self) -> str:
        if self._folded is not None:
            return self._folded
        chars: list[str] = []
        origin: list[int] = []
        last_space = True  # drop leading white space
        for i, ch in enumerate(self.text):
            f = _fold_char(ch)
            if not f:
                continue
            if f == " ":
                if last_space:
                    continue
                last_space = True
            else:
                last_space = False
            for c in f:
                chars.append(c)
                origin.append(i)
        self._folded = "".join(chars)
        self._origin = origin
        return self._folded

    def find_all(self, needle: str) -> list[tuple[int, int]]:
        """Original spans of every occurrence of the folded ``needle`` (already folded)."""
        spans: list[tuple[int, int]] = []
        if not needle:
            return spans
        folded = self._fold()
        pos = folded.find(needle)
        while pos >= 0 and len(spans) < _MAX_OCCURRENCES:
            start = self._origin[pos]
            end = self._origin[pos + len(needle) - 1] + 1
            spans.append((start, end))
            pos = folded.find(needle, pos + 1)
        return spans


def _exact_all(text: str, quote: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = text.find(quote)
    while pos >= 0 and len(spans) < _MAX_OCCURRENCES:
        spans.append((pos, pos + len(quote)))
        pos = text.find(quote, pos + 1)
    return spans


def _pick(spans: list[tuple[int, int]], prefer: Sequence[tuple[int, int]]) -> tuple[int, int]:
    for lo, hi in prefer:
        for s, e in spans:
            if lo <= s and e <= hi:
                return s, e
    return spans[0]


def locate(
    text: str,
    quote: str,
    *,
    prefer: Sequence[tuple[int, int]] = (),
    folded: FoldedText | None = None,
) -> Located | None:
    """Find ``quote`` in ``text``: exact first, then normalized; None when it is not there.

    ``prefer`` lists spans of the text in order of preference (the event's part of the
    page, then the chunk the model read); ``folded`` is a :class:`FoldedText` of ``text``
    to reuse across calls.
    """
    needle = quote.strip()
    if not needle:
        return None
    spans = _exact_all(text, needle)
    if spans:
        s, e = _pick(spans, prefer)
        return Located(s, e, "exact")
    if folded is None or folded.text is not text:
        folded = FoldedText(text)
    spans = folded.find_all(fold(needle))
    if not spans:
        return None
    s, e = _pick(spans, prefer)
    return Located(s, e, "normalized")


_ELLIPSIS: Final = re.compile(r"\s*(?:\[\s*(?:\.\s*){3}\]|\[\s*…\s*\]|(?:\.\s*){2}\.+|…+)\s*")
#: An elided quote must keep this many characters (folded) of the passage, so that a few
#: words cut from everywhere cannot match a passage that merely contains them.
_MIN_ELIDED_CHARS: Final = 12


def elided_pieces(quote: str) -> list[str] | None:
    """The pieces of a quote cut with an ellipsis, in order (None when it has none)."""
    if not _ELLIPSIS.search(quote):
        return None
    pieces = [p.strip() for p in _ELLIPSIS.split(quote)]
    pieces = [p for p in pieces if p]
    if not pieces or sum(len(fold(p)) for p in pieces) < _MIN_ELIDED_CHARS:
        return None
    return pieces


def _spans_in(text: str, folded: FoldedText, piece: str, lo: int, hi: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = text.find(piece, lo, hi)
    while pos >= 0 and len(spans) < _MAX_OCCURRENCES:
        spans.append((pos, pos + len(piece)))
        pos = text.find(piece, pos + 1, hi)
    if spans:
        return spans
    return [(s, e) for s, e in folded.find_all(fold(piece)) if lo <= s and e <= hi]


def locate_elided(
    text: str,
    quote: str,
    regions: Sequence[tuple[int, int]],
    *,
    folded: FoldedText | None = None,
) -> Located | None:
    """The whole passage an elided quote ("first words ... last words") stands for: every
    piece found in order inside one of ``regions`` (each event's part of the page, the
    preferred first); the shortest such passage in the first region that has one. None
    when the quote has no ellipsis or its pieces are not all found in one region."""
    pieces = elided_pieces(quote)
    if pieces is None:
        return None
    if folded is None or folded.text is not text:
        folded = FoldedText(text)
    for lo, hi in regions:
        found = [_spans_in(text, folded, p, lo, hi) for p in pieces]
        if not all(found):
            continue
        best: tuple[int, int] | None = None
        for start, end in found[0]:
            pos = end
            for spans in found[1:]:
                nxt = next((e for s, e in spans if s >= pos), None)
                if nxt is None:
                    break
                pos = nxt
            else:
                if best is None or pos - start < best[1] - best[0]:
                    best = (start, pos)
        if best is not None:
            return Located(best[0], best[1], "elided")
    return None


def describe_difference(quote: str, found: str) -> str:
    """In words, the widest way a model's quote differs from the text it was matched to:
    ``"white space"``, ``"typographic characters"`` (quotes, dashes, invisible characters)
    or ``"letter case"``."""

    def squash(s: str) -> str:
        return " ".join(s.split())

    def plain(s: str) -> str:
        return "".join(_FOLD.get(c, c) for c in s if c not in _DROP)

    if squash(quote) == squash(found):
        return "white space"
    if squash(plain(quote)) == squash(plain(found)):
        return "typographic characters"
    return "letter case"


__all__ = [
    "FoldedText",
    "Located",
    "MatchKind",
    "describe_difference",
    "elided_pieces",
    "fold",
    "locate",
    "locate_elided",
]
