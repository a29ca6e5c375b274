"""Tests for extractor.loading: decoding, refusals, HTML visible text and input paths."""

from __future__ import annotations

import codecs
import hashlib
import os
from pathlib import Path

import pytest

from extractor.document import Document
from extractor.errors import (
    BinaryDocument,
    DocumentTooLarge,
    EmptyDocument,
    LoadError,
    UnreadableDocument,
    UsageError,
)
from extractor.loading import (
    DEFAULT_MAX_BYTES,
    SUPPORTED_SUFFIXES,
    html_to_text,
    iter_input_paths,
    load_document,
    read_text,
)

SAMPLE = "Inspection carried out on 18 November 2019\nPeople’s care — café X here.\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- constants


def test_constants() -> None:
    assert DEFAULT_MAX_BYTES == 20 * 1024 * 1024
    assert SUPPORTED_SUFFIXES == (".txt", ".text", ".html", ".htm", ".xhtml")


# --------------------------------------------------------------------------- decoding


def test_utf8_without_bom(tmp_path: Path) -> None:
    data = SAMPLE.encode("utf-8")
    path = write(tmp_path, "a.txt", data)
    doc = load_document(path)
    assert isinstance(doc, Document)
    assert doc.text == SAMPLE
    assert doc.encoding == "utf-8"
    assert doc.media_type == "text/plain"
    assert doc.source == str(path)
    assert doc.size == len(data)
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.text[doc.text.index("X")] == "X"
    assert doc.text.index("X") == SAMPLE.index("X")


def test_utf8_with_bom_is_removed(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + SAMPLE.encode("utf-8")
    path = write(tmp_path, "bom.txt", data)
    doc = load_document(path)
    assert doc.text == SAMPLE
    assert not doc.text.startswith("\ufeff")
    assert doc.encoding == "utf-8-sig"
    assert doc.text.index("X") == SAMPLE.index("X")
    assert doc.text[doc.text.index("X")] == "X"
    # the digest is of the raw bytes, BOM included
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.size == len(data)


def test_cp1252_curly_quotes_and_pound(tmp_path: Path) -> None:
    original = "People’s care cost £5 “quoted”"
    path = write(tmp_path, "cp.txt", original.encode("cp1252"))
    doc = load_document(path)
    assert doc.text == original
    assert doc.encoding == "cp1252"
    assert doc.text.index("£") == original.index("£")


def test_latin1_fallback_for_bytes_invalid_in_cp1252(tmp_path: Path) -> None:
    path = write(tmp_path, "l1.txt", b"\x81caf\xe9")
    doc = load_document(path)
    assert doc.text == "\x81café"
    assert doc.encoding == "latin-1"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path: Path, codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    data = bom + SAMPLE.encode(codec)
    path = write(tmp_path, "u16.txt", data)
    doc = load_document(path)
    assert doc.text == SAMPLE
    assert doc.encoding == "utf-16"
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.text.index("X") == SAMPLE.index("X")


def test_truncated_utf16_is_binary(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "hello".encode("utf-16-le") + b"h"
    path = write(tmp_path, "odd.txt", data)
    with pytest.raises(BinaryDocument) as info:
        load_document(path)
    assert info.value.message == "binary file: invalid UTF-16 text at byte 12"
    assert info.value.sha256 == hashlib.sha256(data).hexdigest()


def test_crlf_and_other_characters_preserved(tmp_path: Path) -> None:
    original = "line one\r\nline two\r\n\tindented\rold mac\n"
    path = write(tmp_path, "crlf.txt", original.encode("utf-8"))
    doc = load_document(path)
    assert doc.text == original
    assert doc.text.count("\r\n") == 2
    assert doc.text.index("two") == original.index("two")


def test_source_override_and_pathlike(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"hello")
    assert load_document(path, source="custom").source == "custom"
    assert load_document(str(path)).source == str(path)


def test_read_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"hello\r\nworld")
    assert read_text(path) == "hello\r\nworld"
    html = write(tmp_path, "p.html", b"<p>hello</p><p>world</p>")
    assert read_text(html) == "hello\n\nworld"


def test_sha256_equals_hashlib(tmp_path: Path) -> None:
    data = "£ café\n".encode("cp1252")
    path = write(tmp_path, "h.txt", data)
    assert load_document(path).sha256 == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- refusals


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.txt", b"")
    with pytest.raises(EmptyDocument) as info:
        load_document(path)
    assert info.value.message == "empty file (0 bytes)"
    assert info.value.source == str(path)
    assert info.value.sha256 == hashlib.sha256(b"").hexdigest()


def test_whitespace_only_file(tmp_path: Path) -> None:
    data = b"  \r\n\t\n   \n"
    path = write(tmp_path, "ws.txt", data)
    with pytest.raises(EmptyDocument) as info:
        load_document(path, source="ws")
    assert info.value.message == "empty file: only white space"
    assert info.value.source == "ws"
    assert info.value.sha256 == hashlib.sha256(data).hexdigest()


def test_nul_bytes(tmp_path: Path) -> None:
    data = b"hello world\n\x00\x01\x02"
    path = write(tmp_path, "nul.txt", data)
    with pytest.raises(BinaryDocument) as info:
        load_document(path)
    assert info.value.message == "binary file: NUL bytes at offset 12"
    assert info.value.source == str(path)
    assert info.value.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
        (b"\x89PNG\r\n\x1a\nrest", "PNG image"),
        (b"GIF89a....", "GIF image"),
        (b"\xff\xd8\xff\xe0JFIF", "JPEG image"),
    ],
)
def test_binary_magic(tmp_path: Path, data: bytes, kind: str) -> None:
    path = write(tmp_path, "report.txt", data)
    with pytest.raises(BinaryDocument) as info:
        load_document(path)
    assert info.value.message == f"binary file: {kind}"
    assert info.value.sha256 == hashlib.sha256(data).hexdigest()


def test_zip_magic(tmp_path: Path) -> None:
    path = write(tmp_path, "report.docx", b"PK\x03\x04\x14\x00\x06\x00")
    with pytest.raises(BinaryDocument) as info:
        load_document(path)
    assert info.value.message.startswith("binary file: ZIP archive")


def test_mostly_control_characters(tmp_path: Path) -> None:
    data = b"abc\x01\x02\x03\x1b\x1bdefghij"
    path = write(tmp_path, "ctl.txt", data)
    with pytest.raises(BinaryDocument) as info:
        load_document(path)
    assert info.value.message == "binary file: 33% control characters"


def test_few_control_characters_are_text(tmp_path: Path) -> None:
    original = "a\x1b[1mbold\x1b[0m text with a form feed\f and plenty of ordinary words"
    path = write(tmp_path, "ansi.txt", original.encode("utf-8"))
    assert load_document(path).text == original


def test_too_large(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", b"x" * 11)
    with pytest.raises(DocumentTooLarge) as info:
        load_document(path, max_bytes=10)
    assert info.value.message == "file too large: 11 bytes (limit 10 bytes)"
    assert info.value.source == str(path)
    assert info.value.sha256 is None
    assert load_document(path, max_bytes=11).text == "x" * 11


def test_too_large_message_in_mb(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:  # sparse: not actually written to disk
        fh.truncate(int(25.3 * 1024 * 1024))
    with pytest.raises(DocumentTooLarge) as info:
        load_document(path)
    assert info.value.message == "file too large: 25.3 MB (limit 20.0 MB)"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    with pytest.raises(UnreadableDocument) as info:
        load_document(path)
    assert info.value.message == "no such file"
    assert info.value.source == str(path)
    assert info.value.sha256 is None
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument) as info:
        load_document(tmp_path)
    assert info.value.message == "is a directory"
    assert info.value.source == str(tmp_path)
    assert info.value.sha256 is None


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything"
)
def test_permission_denied(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", b"hello")
    path.chmod(0)
    try:
        with pytest.raises(UnreadableDocument) as info:
            load_document(path)
    finally:
        path.chmod(0o600)
    assert info.value.message == "permission denied"
    assert isinstance(info.value.__cause__, PermissionError)


def test_permission_denied_on_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.txt", b"hello")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("extractor.loading.open", refuse, raising=False)
    with pytest.raises(UnreadableDocument) as info:
        load_document(path)
    assert info.value.message == "permission denied"
    assert info.value.sha256 is None
    assert isinstance(info.value.__cause__, PermissionError)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableDocument) as info:
        load_document(fifo)
    assert info.value.message == "not a regular file (a FIFO)"


def test_errors_are_load_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.txt", b"")
    with pytest.raises(LoadError) as info:
        load_document(path)
    assert info.value.type == "EmptyDocument"


# --------------------------------------------------------------------------- HTML


EXAMPLE = (
    "<h2>Inspection carried out on 18 November 2019</h2>"
    "<p>During a routine inspection</p>"
    "<p>Some text, <b>bold</b> here.</p>"
)
EXAMPLE_TEXT = (
    "Inspection carried out on 18 November 2019\n\n"
    "During a routine inspection\n\n"
    "Some text, bold here."
)


def test_html_to_text_exact_example() -> None:
    assert html_to_text(EXAMPLE) == EXAMPLE_TEXT


def test_html_file_exact_example(tmp_path: Path) -> None:
    data = f"<!DOCTYPE html><html><body>{EXAMPLE}</body></html>".encode()
    path = write(tmp_path, "page.html", data)
    doc = load_document(path)
    assert doc.text == EXAMPLE_TEXT
    assert doc.media_type == "text/html"
    assert doc.encoding == "utf-8"
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.size == len(data)


def test_html_drops_invisible_content_and_decodes_entities() -> None:
    markup = """<!DOCTYPE html>
<html>
<head><title>Page title</title><meta charset="utf-8">
<style>p { color: red; }</style>
<script>var s = "</p><p>not text";</script>
</head>
<body>
  <nav><ul><li><a href="/">Home</a></li></ul></nav>
  <noscript>Enable JavaScript</noscript>
  <template><p>template text</p></template>
  <svg><text>svg text</text></svg>
  <iframe src="x">iframe text</iframe>
  <p>People&rsquo;s   care
     &amp; support&nbsp;here</p>
  <div hidden>hidden <div>nested</div> still hidden</div>
  <p>Visible <span aria-hidden="true">icon</span>again</p>
  <!-- a comment -->
</body>
</html>"""
    assert html_to_text(markup) == "People’s care & support here\n\nVisible again"


def test_html_tables_lists_breaks_and_pre() -> None:
    markup = (
        "<table><tr><th>Date</th><th>Rating</th></tr>"
        "<tr><td>1 May 2019</td><td>Good</td></tr></table>"
        "<ul><li>one</li><li>two</li></ul>"
        "a<br>b<br/><br/><br>c"
        "<pre>\n  keep   this\n\n\n\n  and this  </pre>"
        "<p></p><p></p><div><p>after</p></div>"
    )
    assert html_to_text(markup) == (
        "Date Rating\n1 May 2019 Good\n\n"
        "one\n\ntwo\n\n"
        "a\nb\n\nc\n"
        "  keep   this\n\n  and this\n\n"
        "after"
    )


def test_html_unclosed_head_ends_at_body() -> None:
    assert html_to_text("<html><head><title>t</title><body><p>hi</p>") == "hi"


def test_html_detected_by_content(tmp_path: Path) -> None:
    path = write(tmp_path, "saved.txt", b"\n  <!doctype HTML><p>one</p><p>two</p>")
    doc = load_document(path)
    assert doc.media_type == "text/html"
    assert doc.text == "one\n\ntwo"


def test_xhtml_with_xml_declaration_detected(tmp_path: Path) -> None:
    data = b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><p>x</p></html>'
    doc = load_document(write(tmp_path, "page", data))
    assert doc.media_type == "text/html"
    assert doc.text == "x"


def test_plain_xml_and_angle_brackets_are_not_html(tmp_path: Path) -> None:
    xml = write(tmp_path, "data", b'<?xml version="1.0"?><root><p>x</p></root>')
    assert load_document(xml).media_type == "text/plain"
    text = write(tmp_path, "note.txt", b"<p> is a tag, x < y")
    doc = load_document(text)
    assert doc.media_type == "text/plain"
    assert doc.text == "<p> is a tag, x < y"


def test_html_meta_charset_windows_1252(tmp_path: Path) -> None:
    markup = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        "</head><body><p>People’s care cost £5</p></body></html>"
    )
    path = write(tmp_path, "cp.html", markup.encode("cp1252"))
    doc = load_document(path)
    assert doc.text == "People’s care cost £5"
    assert doc.encoding == "cp1252"
    assert doc.media_type == "text/html"


def test_html_meta_charset_is_honoured_over_cp1252(tmp_path: Path) -> None:
    # 0xA4 is "€" in ISO-8859-15 but "¤" in Windows-1252: the declaration must win.
    markup = '<html><head><meta charset="ISO-8859-15"></head><body><p>Cost 5€</p></body></html>'
    path = write(tmp_path, "euro.htm", markup.encode("iso-8859-15"))
    doc = load_document(path)
    assert doc.text == "Cost 5€"
    assert doc.encoding == "iso8859-15"


def test_html_meta_charset_ignored_for_valid_utf8(tmp_path: Path) -> None:
    markup = '<meta charset="windows-1252"><p>café</p>'
    doc = load_document(write(tmp_path, "u.html", markup.encode("utf-8")))
    assert doc.text == "café"
    assert doc.encoding == "utf-8"


def test_html_without_visible_text(tmp_path: Path) -> None:
    data = b"<html><head><title>x</title></head><body><script>1</script></body></html>"
    path = write(tmp_path, "blank.html", data)
    with pytest.raises(EmptyDocument) as info:
        load_document(path)
    assert info.value.message == "no visible text in HTML page"
    assert info.value.source == str(path)
    assert info.value.sha256 == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- input paths


def test_iter_input_paths_directory(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for name in [
        "b.txt",
        "a.html",
        "C.HTM",
        "notes.text",
        "page.xhtml",
        "a.gold.json",
        "records.jsonl",
        "readme.md",
        ".hidden.txt",
        "sub/z.txt",
        "sub/deeper/y.html",
        ".git/x.txt",
        "sub/.cache/w.txt",
    ]:
        write(root, name, b"x")
    result = iter_input_paths([root])
    assert result == [
        root / "C.HTM",
        root / "a.html",
        root / "b.txt",
        root / "notes.text",
        root / "page.xhtml",
        root / "sub" / "deeper" / "y.html",
        root / "sub" / "z.txt",
    ]
    assert all(isinstance(p, Path) for p in result)


def test_iter_input_paths_explicit_file_kept_whatever_suffix(tmp_path: Path) -> None:
    md = write(tmp_path, "report.md", b"# x")
    hidden = write(tmp_path, ".secret.md", b"x")
    assert iter_input_paths([md]) == [md]
    assert iter_input_paths([str(hidden)]) == [hidden]


def test_iter_input_paths_dedup_keeps_first(tmp_path: Path) -> None:
    root = tmp_path / "in"
    a = write(root, "a.txt", b"x")
    b = write(root, "b.txt", b"x")
    other = write(tmp_path, "other.md", b"x")
    assert iter_input_paths([b, root, other, a, str(other)]) == [b, a, other]


def test_iter_input_paths_missing_raises_before_returning(tmp_path: Path) -> None:
    good = write(tmp_path, "a.txt", b"x")
    missing = tmp_path / "missing.txt"
    with pytest.raises(UsageError) as info:
        iter_input_paths([good, missing])
    assert str(info.value) == f"{missing}: no such file or directory"


def test_iter_input_paths_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    write(empty, "only.json", b"{}")
    file = write(tmp_path, "a.txt", b"x")
    assert iter_input_paths([empty]) == []
    assert iter_input_paths([empty, file]) == [file]
