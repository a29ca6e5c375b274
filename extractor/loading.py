"""Read input files into :class:`~extractor.document.Document` objects.

Loading is where raw bytes become the text that every evidence offset refers to, so it
changes nothing it does not have to: a byte-order mark is dropped, the bytes are decoded, and
that is all (line endings and every other character are kept). HTML pages are the exception:
their ``text`` is the page's *visible text* (see :func:`html_to_text`), and offsets refer to it.

Every failure is a :class:`~extractor.errors.LoadError` subclass with ``source`` set and an
``sha256`` attribute: the hex digest of the file's bytes when they were read, else
``None``, so that the caller can still record the digest of a document it could not use.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import itertools
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import TypeVar, overload

from extractor.document import Document
from extractor.errors import (
    BinaryDocument,
    DocumentTooLarge,
    EmptyDocument,
    LoadError,
    UnreadableDocument,
    UsageError,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "STDIN",
    "STDIN_SOURCE",
    "SUPPORTED_SUFFIXES",
    "InputPaths",
    "display_path",
    "document_from_bytes",
    "html_to_text",
    "iter_input_paths",
    "load_document",
    "read_text",
]

STDIN = "-"
"""The path that names standard input (``extract -``, ``text -``); a file called ``-`` is
``./-``."""
STDIN_SOURCE = "<stdin>"
"""The ``source`` of a document read from standard input."""

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""Files larger than this (in bytes) are refused with :class:`DocumentTooLarge`."""

SUPPORTED_SUFFIXES = (".txt", ".text", ".html", ".htm", ".xhtml")
"""Suffixes picked up when a directory is searched (compared case-insensitively)."""

_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})

# Signatures of common binary formats, checked at the very start of the file.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (e.g. DOCX, XLSX, ODT)"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\x89PNG", "PNG image"),
    (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 document (e.g. DOC, XLS)"),
    (b"\x7fELF", "ELF executable"),
)

# C0 control characters that are not ordinary text white space (\t \n \r \f are fine).
_CONTROL_CHARS = tuple(chr(c) for c in range(32) if chr(c) not in "\t\n\r\f")
_CONTROL_RE = re.compile("[" + re.escape("".join(_CONTROL_CHARS)) + "]")
_MAX_CONTROL_RATIO = 0.10

_E = TypeVar("_E", bound=LoadError)


def _load_error(cls: type[_E], message: str, source: str, sha256: str | None) -> _E:
    """An exception of ``cls`` carrying ``source`` and a ``sha256`` attribute."""
    err = cls(message, source=source)
    err.sha256 = sha256
    return err


def _format_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return "1 byte" if n == 1 else f"{n} bytes"


def _os_error_reason(err: OSError) -> str:
    """A short lower-case reason for an OSError met while reading a file."""
    if isinstance(err, FileNotFoundError):
        return "no such file"
    if isinstance(err, IsADirectoryError):
        return "is a directory"
    if isinstance(err, PermissionError):
        return "permission denied"
    if isinstance(err, NotADirectoryError):
        return "not a directory (a parent in the path is a file)"
    if err.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    if err.strerror:
        return err.strerror.lower()
    return type(err).__name__.lower()


# --------------------------------------------------------------------------- loading


def load_document(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    source: str | None = None,
) -> Document:
    """Read ``path`` and return it as a :class:`Document`.

    ``source`` defaults to the path as given. ``sha256`` is the digest of the raw bytes.
    Text files keep their decoded text exactly (only a BOM is removed); HTML pages (by suffix
    or by content) become their visible text with ``media_type="text/html"``.

    Raises :class:`UnreadableDocument`, :class:`DocumentTooLarge`, :class:`EmptyDocument` or
    :class:`BinaryDocument`, each with ``source`` and ``sha256`` set.
    """
    fspath = os.fspath(path)
    if fspath == STDIN:
        src = STDIN_SOURCE if source is None else source
        return document_from_bytes(_read_stdin(src, max_bytes), src)
    src = display_path(fspath) if source is None else source
    data = _read_bytes(fspath, src, max_bytes)
    # (no Path here: pathlib interns every name it parses, and the intern table never shrinks)
    suffix = os.path.splitext(fspath)[1].lower()
    return document_from_bytes(data, src, html_hint=suffix in _HTML_SUFFIXES)


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` as text that can be printed and written to JSON: a file name that is not valid
    UTF-8 keeps each undecodable byte as a ``\\xNN`` escape."""
    fspath = os.fspath(path)
    try:
        fspath.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(fspath).decode("utf-8", "backslashreplace")
    return fspath


def _not_regular(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "not a regular file (a FIFO)"
    if stat.S_ISSOCK(mode):
        return "not a regular file (a socket)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "not a regular file (a device)"
    return "not a regular file"


def _read_stdin(src: str, max_bytes: int) -> bytes:
    """Standard input's bytes (up to ``max_bytes``: more is :class:`DocumentTooLarge`)."""
    try:
        data = sys.stdin.buffer.read(max_bytes + 1)
    except (OSError, AttributeError, ValueError) as err:
        raise _load_error(
            UnreadableDocument, f"cannot read standard input ({err})", src, None
        ) from err
    if len(data) > max_bytes:
        limit = _format_size(max_bytes)
        raise _load_error(
            DocumentTooLarge, f"file too large: more than {limit} (limit {limit})", src, None
        )
    return data


def _read_bytes(fspath: str, src: str, max_bytes: int) -> bytes:
    """A file's bytes, refused (as a load error naming ``src``) when it is not a regular file
    or is larger than ``max_bytes``."""
    # stat first: refuse directories, FIFOs and devices, and files over the limit, without
    # opening (a FIFO would block) or reading them.
    try:
        st = os.stat(fspath)
    except OSError as err:
        reason = _os_error_reason(err)
        if isinstance(err, FileNotFoundError) and os.path.islink(fspath):
            reason = f"broken symbolic link (to {display_path(os.readlink(fspath))})"
        raise _load_error(UnreadableDocument, reason, src, None) from err
    if stat.S_ISDIR(st.st_mode):
        try:  # a directory reaches here when it could not be searched: say why
            with os.scandir(fspath):
                pass
        except OSError as err:
            reason = f"directory cannot be searched: {_os_error_reason(err)}"
            raise _load_error(UnreadableDocument, reason, src, None) from err
        raise _load_error(UnreadableDocument, "is a directory", src, None)
    if not stat.S_ISREG(st.st_mode):
        raise _load_error(UnreadableDocument, _not_regular(st.st_mode), src, None)
    if st.st_size > max_bytes:
        message = f"file too large: {_format_size(st.st_size)} (limit {_format_size(max_bytes)})"
        raise _load_error(DocumentTooLarge, message, src, None)
    # Read the bytes once (one byte more than allowed, in case the file grew since stat).
    try:
        with open(fspath, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise _load_error(UnreadableDocument, _os_error_reason(err), src, None) from err
    if len(data) > max_bytes:
        limit = _format_size(max_bytes)
        message = f"file too large: more than {limit} (limit {limit})"
        raise _load_error(DocumentTooLarge, message, src, None)
    return data


def document_from_bytes(data: bytes, source: str, *, html_hint: bool = False) -> Document:
    """The :class:`Document` for a file's raw bytes (see :func:`load_document`); ``html_hint``
    says the name marks it as HTML. Raises :class:`EmptyDocument` or
    :class:`BinaryDocument` (or :class:`UnreadableDocument` when it cannot be decoded)."""
    sha256 = hashlib.sha256(data).hexdigest()
    text, encoding = _bytes_to_text(data, source, sha256, html_hint=html_hint)
    if text.strip() == "":
        raise _load_error(EmptyDocument, "empty file: only white space", source, sha256)
    media_type = "text/plain"
    if html_hint or _looks_like_html(text):
        text = html_to_text(text)
        media_type = "text/html"
        if text == "":
            raise _load_error(EmptyDocument, "no visible text in HTML page", source, sha256)
    return Document(
        source=source,
        text=text,
        sha256=sha256,
        encoding=encoding,
        media_type=media_type,
        size=len(data),
    )


def read_text(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of ``path`` as :func:`load_document` loads it (visible text for HTML)."""
    return load_document(path, max_bytes=max_bytes).text


def _bytes_to_text(data: bytes, source: str, sha256: str, *, html_hint: bool) -> tuple[str, str]:
    """Check ``data`` is text and decode it; return ``(text, encoding)``."""
    if not data:
        raise _load_error(EmptyDocument, "empty file (0 bytes)", source, sha256)
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise _load_error(BinaryDocument, f"binary file: {kind}", source, sha256)

    bomless = _utf16_without_bom(data)
    is_utf16 = bomless is not None or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not is_utf16:
        nul = data.find(b"\x00")
        if nul >= 0:
            message = f"binary file: NUL bytes at offset {nul}"
            raise _load_error(BinaryDocument, message, source, sha256)

    try:
        if bomless is not None:
            text, encoding = data.decode(bomless), bomless
        else:
            text, encoding = _decode(data, html_hint=html_hint)
    except UnicodeDecodeError as err:  # only a broken UTF-16 file gets here
        message = f"binary file: invalid UTF-16 text at byte {err.start}"
        raise _load_error(BinaryDocument, message, source, sha256) from err

    if is_utf16 and "\x00" in text:
        message = f"binary file: NUL characters in UTF-16 text at offset {text.index(chr(0))}"
        raise _load_error(BinaryDocument, message, source, sha256)
    controls = len(_CONTROL_RE.findall(text)) if _CONTROL_RE.search(text) else 0
    if text and controls / len(text) > _MAX_CONTROL_RATIO:
        message = f"binary file: {controls * 100 // len(text)}% control characters"
        raise _load_error(BinaryDocument, message, source, sha256)
    return text, encoding


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` for text saved as UTF-16 without a byte-order mark (as
    some Windows tools do): an even length, and in the first 4 KiB a NUL in at least a third
    of the high bytes of each 16-bit unit (Latin text) and in almost none of the low bytes."""
    if (
        len(data) < 4
        or len(data) % 2
        or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    ):
        return None
    head = data[:_SNIFF_BYTES]
    units = len(head) // 2
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd * 3 >= units and even * 50 <= units:
        return "utf-16-le"
    if even * 3 >= units and odd * 50 <= units:
        return "utf-16-be"
    return None


def _decode(data: bytes, *, html_hint: bool) -> tuple[str, str]:
    """Decode ``data``; return ``(text, encoding)``. Raises UnicodeDecodeError for bad UTF-16.

    Order: UTF-8 BOM (dropped), UTF-16 BOM, strict UTF-8, an HTML page's declared charset,
    Windows-1252, Latin-1 (which always succeeds).
    """
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        try:
            return body.decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return _decode_legacy(body)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"  # the codec reads and drops the BOM
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    head = data[:_SNIFF_BYTES].decode("latin-1")
    if html_hint or _looks_like_html(head):
        declared = _declared_charset(head)
        if declared is not None:
            try:
                return data.decode(declared), declared
            except UnicodeDecodeError:
                pass
    return _decode_legacy(data)


def _decode_legacy(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


# --------------------------------------------------------------------------- HTML sniffing

_SNIFF_BYTES = 4096
_LEADING_COMMENTS = r"(?:<!--.*?-->\s*)*"
_HTML_START_RE = re.compile(_LEADING_COMMENTS + r"(?:<!doctype\s+html\b|<html\b)", re.I | re.S)
_XML_DECL_RE = re.compile(r"<\?xml\b", re.I)
_HTML_ELEMENT_RE = re.compile(r"<(?:[a-z][\w.-]*:)?html\b", re.I)
_META_CHARSET_RE = re.compile(
    r"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([a-z0-9][a-z0-9_.:()+-]*)""", re.I
)
# Labels browsers read as Windows-1252 (WHATWG Encoding Standard); Latin-1 is the fallback.
_CP1252_LABELS = frozenset(
    {"ascii", "us-ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "cp819"}
)
# Codecs a page may not select: not charsets at all, or ones browsers refuse in <meta>.
_REFUSED_CODECS = frozenset(
    {"utf-7", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "mbcs"}
)


def _looks_like_html(text: str) -> bool:
    """True when ``text`` (after leading white space) starts like an HTML document.

    That is ``<!doctype html``, ``<html``, or ``<?xml`` followed by an ``html`` element within
    the first 1024 characters. Leading ``<!-- ... -->`` comments are skipped.
    """
    head = text[:_SNIFF_BYTES].lstrip()
    if _HTML_START_RE.match(head):
        return True
    return bool(_XML_DECL_RE.match(head)) and bool(_HTML_ELEMENT_RE.search(head[:1024]))


def _declared_charset(head: str) -> str | None:
    """The Python codec name of the charset an HTML head declares in ``<meta>``, if usable."""
    match = _META_CHARSET_RE.search(head)
    if match is None:
        return None
    label = match.group(1).strip().lower()
    if label in _CP1252_LABELS:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in _REFUSED_CODECS or name.startswith(("utf-16", "utf-32")):
        return None
    try:
        b"".decode(name)  # rejects codecs that are not bytes -> str text encodings
    except LookupError:
        return None
    return name


# --------------------------------------------------------------------------- visible text

_SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "svg",
        "nav",
        "iframe",
        "object",
    }
)
# Blocks separated from their neighbours by a blank line.
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "div"})
# Blocks that start and end a line.
_LINE_TAGS = frozenset(
    {
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "blockquote",
        "pre",
        "form",
        "fieldset",
        "figure",
        "figcaption",
        "address",
        "hr",
        "br",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "details",
        "summary",
        "legend",
        "center",
        "dialog",
        "menu",
    }
)
_CELL_TAGS = frozenset({"td", "th"})
_VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_WHITESPACE_RE = re.compile(r"\s+")
# Elements that hold one line of meaning (a headline, a date): a <br> inside one is a space,
# so "Inspection carried out on 18<br>November 2019" keeps its date.
_ONE_LINE_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "time"})
# Anywhere else a <br> that cuts a date in two ("18<br>November 2019", "November<br>2019") is a
# space too: a line never ends between a day and its month, or a month and its year.
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY_TAIL_RE = re.compile(r"(?<![\d/.:-])\b[0-3]?\d(?:st|nd|rd|th)?\s*$", re.I)
_MONTH_TAIL_RE = re.compile(rf"\b{_MONTH}\.?,?\s*$", re.I)
_MONTH_HEAD_RE = re.compile(rf"\s*{_MONTH}\b", re.I)
_YEAR_HEAD_RE = re.compile(r"\s*(?:19|20)\d\d\b")
# Characters a browser does not show: soft hyphen, zero-width space and joiners, word joiner,
# a BOM inside the text. They are dropped from the visible text (they would split a word).
_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def _is_hidden(attrs: list[tuple[str, str | None]]) -> bool:
    for name, value in attrs:
        if name == "hidden":
            return True
        if name == "aria-hidden" and (value or "").strip().lower() == "true":
            return True
    return False


class _VisibleTextParser(HTMLParser):
    """Collects the visible text of a page as lines separated by one or two newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._line: list[tuple[str, bool]] = []  # (chunk, is_preformatted)
        self._pending = 0  # newlines owed before the next line: 1, or 2 for a blank line
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._pre_depth = 0
        self._one_line_depth = 0
        self._after_pre_tag = False
        self._date_break: re.Pattern[str] | None = None  # a <br> that may cut a date in two

    # -- output ------------------------------------------------------------------------

    def _render_line(self) -> str:
        if not self._pre_depth and not any(pre for _, pre in self._line):  # the usual case
            line = _WHITESPACE_RE.sub(" ", "".join(text for text, _ in self._line)).strip()
            self._line = []
            return line
        groups: list[tuple[str, bool]] = []
        for pre, chunks in itertools.groupby(self._line, key=lambda chunk: chunk[1]):
            joined = "".join(text for text, _ in chunks)
            groups.append((joined if pre else _WHITESPACE_RE.sub(" ", joined), pre))
        self._line = []
        if not groups:
            return ""
        if not groups[0][1]:
            groups[0] = (groups[0][0].lstrip(), False)
        return "".join(text for text, _ in groups).rstrip()

    def _flush(self) -> None:
        line = self._render_line()
        if not line:
            return
        if self._out:
            self._out.append("\n" * max(self._pending, 1))
        self._out.append(line)
        self._pending = 0

    def _break(self, newlines: int) -> None:
        self._flush()
        self._pending = max(self._pending, newlines)

    def _line_break(self) -> None:
        """``<br>`` or a newline in ``<pre>``: a second one in a row makes a blank line."""
        if "".join(text for text, _ in self._line).strip():
            self._break(1)
        else:
            self._line = []
            if self._out:
                self._pending = min(self._pending + 1, 2)

    def text(self) -> str:
        self._settle_date_break(None)
        self._flush()
        return "".join(self._out)

    def _block_edge(self, tag: str) -> None:
        """Where an element starts or ends: a paragraph gap, a line break, or a cell's space."""
        if tag in _PARAGRAPH_TAGS:
            self._break(2)
        elif tag in _LINE_TAGS:
            self._break(1)
        elif tag in _CELL_TAGS:
            self._line.append((" ", False))

    # -- parser callbacks --------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_tag is not None:
            if self._skip_tag == "head" and tag == "body":  # <body> ends an unclosed <head>
                self._skip_tag, self._skip_depth = None, 0
            else:
                if tag == self._skip_tag:
                    self._skip_depth += 1
                return
        self._after_pre_tag = False
        if tag in _VOID_TAGS or tag in _PARAGRAPH_TAGS or tag in _LINE_TAGS or tag in _CELL_TAGS:
            self._settle_date_break(None)  # inline elements leave the pending <br> pending
        if tag in _VOID_TAGS:
            if tag == "br" and self._one_line_depth and not self._pre_depth:
                self._line.append((" ", False))
            elif tag == "br" and not self._pre_depth and (head := self._date_cut()) is not None:
                self._date_break = head  # decided by the text that follows
            elif tag == "br":
                self._line_break()
            elif tag == "hr":
                self._break(1)
            return
        if tag in _SKIP_TAGS or _is_hidden(attrs):
            self._skip_tag, self._skip_depth = tag, 1
            return
        self._block_edge(tag)
        if tag in _ONE_LINE_TAGS:
            self._one_line_depth += 1
        if tag == "pre":
            self._pre_depth += 1
            self._after_pre_tag = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # ``<br/>`` is one line break, not a start and an end tag.
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def _date_cut(self) -> re.Pattern[str] | None:
        """Where the line so far ends in a day or a month: what must follow the <br> for it to
        cut a date in two (a month, or a year)."""
        line = "".join(text for text, _ in self._line[-4:])
        if _DAY_TAIL_RE.search(line):
            return _MONTH_HEAD_RE
        if _MONTH_TAIL_RE.search(line):
            return _YEAR_HEAD_RE
        return None

    def _settle_date_break(self, following: str | None) -> None:
        """A pending <br>: a space where ``following`` goes on with the date, else a line break."""
        head, self._date_break = self._date_break, None
        if head is None:
            return
        if following is not None and head.match(following):
            self._line.append((" ", False))
        else:
            self._line_break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _PARAGRAPH_TAGS or tag in _LINE_TAGS or tag in _CELL_TAGS:
            self._settle_date_break(None)
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
            return
        self._after_pre_tag = False
        if tag in _VOID_TAGS:
            return
        self._block_edge(tag)
        if tag in _ONE_LINE_TAGS and self._one_line_depth > 0:
            self._one_line_depth -= 1
        if tag == "pre" and self._pre_depth > 0:
            self._pre_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._skip_tag is not None:
            return
        data = _INVISIBLE_RE.sub("", data)
        if self._date_break is not None:
            if not data.strip():
                return  # white space between the <br> and what follows changes nothing
            self._settle_date_break(data)
        if self._pre_depth == 0:
            self._line.append((data, False))
            return
        data = data.replace("\r\n", "\n").replace("\r", "\n")
        if self._after_pre_tag and data.startswith("\n"):
            data = data[1:]  # as in browsers, a newline right after <pre> is not content
        self._after_pre_tag = False
        for i, part in enumerate(data.split("\n")):
            if i:
                self._line_break()
            if part:
                self._line.append((part, True))


def html_to_text(markup: str) -> str:
    """The visible text of an HTML page.

    The content of script, style, noscript, template, head, title, svg, nav, iframe and object
    elements, and of elements with a ``hidden`` or ``aria-hidden="true"`` attribute, is
    dropped, and so are characters a browser does not show (soft hyphens, zero-width spaces
    and joiners). Paragraph blocks (p, h1-h6, li, div) are separated by one blank line; other
    blocks (section, table rows, br, ...) end a line, except that a ``br`` inside a heading or
    a ``time`` element is a space (a headline is one line); table cells are separated by a
    space. Inline elements (span, strong, a, ...) change nothing.
    White space inside a line is collapsed to one space (except in ``pre``) and each line is
    stripped. Character references are decoded. There is never more than one blank line in a
    row, and no leading or trailing white space.
    """
    parser = _VisibleTextParser()
    parser.feed(markup)
    parser.close()
    return parser.text()


# --------------------------------------------------------------------------- input paths


class InputPaths(Sequence[Path]):
    """The files a run processes: a sequence of :class:`~pathlib.Path`, kept as strings (a
    Path object per file takes about three times the memory, for the whole run). Equal to any
    sequence of the same paths."""

    __slots__ = ("_names",)

    def __init__(self, names: Iterable[str | os.PathLike[str]] = ()) -> None:
        self._names = [os.fspath(n) for n in names]

    def __len__(self) -> int:
        return len(self._names)

    @overload
    def __getitem__(self, index: int) -> Path: ...

    @overload
    def __getitem__(self, index: slice) -> InputPaths: ...

    def __getitem__(self, index: int | slice) -> Path | InputPaths:
        if isinstance(index, slice):
            return InputPaths(self._names[index])
        return Path(self._names[index])

    def __iter__(self) -> Iterator[Path]:
        return (Path(name) for name in self._names)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"InputPaths({self._names!r})"


def iter_input_paths(paths: Iterable[str | os.PathLike[str]]) -> InputPaths:
    """The files to process for the given command-line paths.

    A path naming a file (or anything that is not a directory) is kept whatever its suffix;
    ``-`` is standard input. A directory is searched recursively for names with a suffix in
    :data:`SUPPORTED_SUFFIXES` (case-insensitive), skipping hidden files and directories
    (symbolic links to directories are not followed), sorted by path within each directory.
    What cannot be read is kept, so that loading it gives a record with the reason: a name
    with a supported suffix that is not a readable file (a broken symbolic link, a link loop,
    a FIFO), and a directory that cannot be listed. Duplicates (the same file reached twice)
    are dropped, keeping the first. Raises :class:`UsageError` if any path does not exist,
    before anything is returned.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    given = [Path(p) for p in paths]
    for path in given:
        if os.fspath(path) != STDIN and not os.path.lexists(path):
            raise UsageError(f"{display_path(path)}: no such file or directory")

    found: list[str] = []
    seen: set[str] = set()
    for path in given:
        name = os.fspath(path)
        if name == STDIN:
            candidates = [name]
        else:
            candidates = _search_directory(name) if path.is_dir() else [name]
        for candidate in candidates:
            key = STDIN if candidate == STDIN else os.path.realpath(candidate)
            key = os.path.normcase(key)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return InputPaths(found)


def _search_directory(root: str) -> list[str]:
    matches: list[str] = []

    def unreadable(err: OSError) -> None:  # a directory that cannot be listed: kept, so
        matches.append(os.fspath(err.filename if err.filename is not None else root))  # named

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(SUPPORTED_SUFFIXES):
                continue
            # Kept whatever it is: a broken link, a loop or a FIFO gets a record saying so.
            matches.append(os.path.join(dirpath, name))
    return sorted(matches)
