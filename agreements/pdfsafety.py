"""Bounds for reading PDFs that strangers send: decompression bombs, huge page trees, active content.

Three layers, all in bounded memory and time:

* ``scan_streams`` runs on the raw bytes before any PDF library sees them. Every place where a
  Flate stream may start is inflated chunk by chunk (nothing is kept, only counted), including a
  Flate layer inside a Flate layer, against one budget for the whole file. A bomb is refused here.
* ``bounded_pypdf()`` tightens pypdf's own per-stream and page-tree limits while we read.
* ``PYHANKO_DECODE_LIMITS`` is what pyHanko's validator is given for untrusted input: a small
  per-stream cap and document budget.

``active_content`` lists what a PDF would run or carry when opened: JavaScript, launch actions,
open and additional actions, embedded files.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
from pypdf import PdfReader, apply_configuration
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

MiB = 1024 * 1024

# Total bytes that all of a file's Flate streams may inflate to. A rendered Sepakat PDF
# (4 pages, bundled font subsets, the data JSON) inflates to well under 2 MiB.
MAX_INFLATED_BYTES = 48 * MiB
MAX_LAYERS = 3  # Flate inside Flate inside Flate
MAX_REVISIONS = 64  # "startxref" markers: one per revision (a signed document has one per signer, plus one)
MAX_PAGES = 2000
MAX_OBJECTS = 200_000
_CHUNK = 64 * 1024

# pypdf, per stream and per page tree, while we read an untrusted file.
PYPDF_LIMITS = {
    "zlib_maximum_output_length": 16 * MiB,
    "zlib_maximum_recovery_input_length": 256 * 1024,
    "lzw_maximum_output_length": 16 * MiB,
    "run_length_maximum_output_length": 16 * MiB,
    "jbig2_maximum_output_length": 16 * MiB,
    "brotli_maximum_output_length": 16 * MiB,
    "array_based_stream_maximum_output_length": 16 * MiB,
    "stream_decoding_work_maximum_length": 32 * MiB,
    "image_maximum_buffer_size": 16 * MiB,
    "page_tree_maximum_entries": 10 * MAX_PAGES,
    "page_tree_maximum_page_entries": 10 * MAX_PAGES,
    "page_tree_maximum_depth": 32,
    "array_maximum_element_count": 20_000,
    "dictionary_maximum_element_count": 20_000,
}


def limit_reason(error: Exception) -> str:
    """The HostilePdf reason for one of pypdf's LimitReachedError."""
    text = str(error).lower()
    if "page" in text:
        return TOO_MANY_PAGES
    if "decompress" in text or "decoding" in text or "stream" in text or "size" in text:
        return BOMB
    return TOO_COMPLEX

# pyHanko's validator: at most 16 MiB per stream, and a document budget of 32 MiB (or 8 times the
# file size) per revision it inspects; scan_streams has already bounded the number of revisions.
PYHANKO_DECODE_LIMITS = DecodeLimits(
    per_stream=StreamDecodeLimits(max_ratio=1100, ratio_floor=MiB, max_output_size=16 * MiB),
    document_budget=DocumentDecodeBudget(base_allowance=32 * MiB, max_ratio=8),
)

_STREAM_KEYWORD = re.compile(rb"(?<!end)stream")
_WHITESPACE = b" \t\r\n\x00\x0c"


class HostilePdf(Exception):
    """The file would take more memory or time to read than any document of ours; ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


BOMB = "bomb"
TOO_MANY_REVISIONS = "revisions"
TOO_MANY_PAGES = "pages"
TOO_COMPLEX = "complex"


def scan_streams(content: bytes, *, budget: int = MAX_INFLATED_BYTES) -> int:
    """Inflate every candidate Flate stream of the raw file, counting only; return the total.

    Raises ``HostilePdf(BOMB)`` as soon as the total passes ``budget`` and
    ``HostilePdf(TOO_MANY_REVISIONS)`` for more than MAX_REVISIONS revisions.
    Candidates are found by the ``stream`` keyword, not by the stream dictionary's /Length, so
    a lying /Length or a hidden object changes nothing: each candidate is inflated to its own end.
    """
    if content.count(b"startxref") > MAX_REVISIONS:
        raise HostilePdf(TOO_MANY_REVISIONS)
    state = {"left": budget}
    for match in _STREAM_KEYWORD.finditer(content):
        start = match.end()
        # The data starts after the end-of-line; be lenient about which whitespace, as readers are.
        for offset in range(start, min(start + 4, len(content) - 1)):
            if _looks_like_zlib(content, offset):
                _inflate(_chunks(content, offset), state, depth=1)
                break
            if content[offset] not in _WHITESPACE:
                break
    return budget - state["left"]


def _looks_like_zlib(data: bytes, offset: int) -> bool:
    if offset + 1 >= len(data):
        return False
    cmf, flg = data[offset], data[offset + 1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0


def _chunks(content: bytes, offset: int) -> Iterator[bytes]:
    view = memoryview(content)
    for position in range(offset, len(content), _CHUNK):
        yield bytes(view[position:position + _CHUNK])


def _inflate(chunks: Iterable[bytes], state: dict, depth: int) -> None:
    """Inflate ``chunks`` as one zlib stream, charging its output to ``state["left"]``.

    Output that is itself a zlib stream is inflated too (up to MAX_LAYERS), streaming: nothing
    larger than one chunk is ever held.
    """
    inflater = zlib.decompressobj()
    inner: list[bytes] | None = None  # pending output for the next layer, when it is zlib too
    decided = False
    try:
        for chunk in chunks:
            data = chunk
            while data:
                out = inflater.decompress(data, _CHUNK)
                data = inflater.unconsumed_tail
                state["left"] -= len(out)
                if state["left"] < 0:
                    raise HostilePdf(BOMB)
                if out and not decided and depth < MAX_LAYERS:
                    decided = True
                    if _looks_like_zlib(out, 0):
                        inner = []
                if inner is not None and out:
                    inner.append(out)
                if inflater.eof:
                    break
            if inner:
                _inflate(inner, state, depth + 1)
                inner = []
            if inflater.eof:
                return
    except zlib.error:
        return  # not (or no longer) a zlib stream: readers fail on it too, with nothing inflated


@contextmanager
def bounded_pypdf():
    """pypdf with PYPDF_LIMITS, for the duration of the block (a context variable: per thread)."""
    with apply_configuration(**PYPDF_LIMITS):
        yield


# --- active content -------------------------------------------------------------------------------

JAVASCRIPT = "javascript"
LAUNCH = "launch"
OPEN_ACTION = "open_action"
ADDITIONAL_ACTION = "additional_action"
EMBEDDED_FILE = "embedded_file"
EXECUTABLE = "executable"
RICH_MEDIA = "rich_media"

_DANGEROUS_ACTIONS = {
    "/JavaScript": JAVASCRIPT,
    "/Launch": LAUNCH,
    "/Rendition": RICH_MEDIA,
    "/Movie": RICH_MEDIA,
    "/Sound": RICH_MEDIA,
    "/RichMediaExecute": RICH_MEDIA,
    "/GoToE": EMBEDDED_FILE,
}
_EXECUTABLE_NAME = re.compile(
    r"\.(exe|com|scr|bat|cmd|pif|msi|dll|ps1|vbs|vbe|js|jse|wsf|wsh|hta|jar|sh|app|apk|lnk|reg|cpl)$", re.IGNORECASE
)
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa", b"#!")


def active_content(reader: PdfReader, *, allowed_attachments: Iterable[str] = ()) -> list[str]:
    """Kinds of active content in the file (JAVASCRIPT, LAUNCH, ...), most serious first; [] if none.

    Every object in the cross-reference table is looked at, reachable or not, so content that a
    viewer might find by another route (object streams, name trees, annotations) is not missed.
    ``allowed_attachments`` are embedded file names that are expected (Sepakat's own data JSON).
    Call it inside ``bounded_pypdf()``.
    """
    allowed = set(allowed_attachments)
    found: set[str] = set()
    for seen, obj in enumerate(_all_objects(reader), start=1):
        if seen > MAX_OBJECTS:
            raise HostilePdf(TOO_COMPLEX)
        _inspect(obj, found, allowed, depth=0)
    order = [EXECUTABLE, LAUNCH, JAVASCRIPT, EMBEDDED_FILE, RICH_MEDIA, OPEN_ACTION, ADDITIONAL_ACTION]
    return [kind for kind in order if kind in found]


def _all_objects(reader: PdfReader) -> Iterator[object]:
    yield reader.trailer
    numbers = set(reader.xref_objStm)
    for generation, entries in reader.xref.items():
        numbers.update((number, generation) if generation else number for number in entries)
    for key in sorted(numbers, key=lambda k: k if isinstance(k, int) else k[0]):
        reference = IndirectObject(key, 0, reader) if isinstance(key, int) else IndirectObject(*key, reader)
        try:
            yield reader.get_object(reference)
        except HostilePdf:
            raise
        except Exception:  # noqa: BLE001, S112 - a broken object is not active content
            continue


def _inspect(obj, found: set[str], allowed: set[str], depth: int) -> None:
    if depth > 32:
        raise HostilePdf(TOO_COMPLEX)
    if isinstance(obj, DictionaryObject):
        keys = set(obj.keys())
        kind = _name(obj.get("/S"))
        if kind in _DANGEROUS_ACTIONS:
            found.add(_DANGEROUS_ACTIONS[kind])
        if "/JS" in keys or "/JavaScript" in keys or "/XFA" in keys:  # XFA forms carry their own scripts
            found.add(JAVASCRIPT)
        if "/AA" in keys:
            found.add(ADDITIONAL_ACTION)
        if "/OpenAction" in keys and not isinstance(_direct(obj.get("/OpenAction")), ArrayObject):
            found.add(OPEN_ACTION)  # an action; a plain destination (an array: "open at page 1") is harmless
        if _name(obj.get("/Type")) in ("/RichMedia", "/RichMediaContent") or "/RichMediaContent" in keys:
            found.add(RICH_MEDIA)
        if "/EF" in keys or _name(obj.get("/Type")) == "/EmbeddedFile" or "/EmbeddedFiles" in keys:
            _check_attachment(obj, found, allowed)
        for value in obj.values():
            if not isinstance(value, IndirectObject):  # indirect ones are visited on their own
                _inspect(value, found, allowed, depth + 1)
    elif isinstance(obj, ArrayObject):
        for value in obj:
            if not isinstance(value, IndirectObject):
                _inspect(value, found, allowed, depth + 1)


def _check_attachment(obj: DictionaryObject, found: set[str], allowed: set[str]) -> None:
    if "/EmbeddedFiles" in obj:  # a /Names dictionary: the entries are checked as file specifications
        return
    if _name(obj.get("/Type")) == "/EmbeddedFile":
        if _stream_starts_like_program(obj):
            found.add(EXECUTABLE)
        return
    names = {_text(obj.get(key)) for key in ("/UF", "/F")} - {""}
    if any(_EXECUTABLE_NAME.search(name) for name in names):
        found.add(EXECUTABLE)
    if not names or not names <= allowed or _name(obj.get("/Type")) == "/Annot":
        found.add(EMBEDDED_FILE)


def _stream_starts_like_program(stream) -> bool:
    try:
        head = stream.get_data()[:8]
    except Exception:  # noqa: BLE001 - undecodable: the attachment is refused as an embedded file anyway
        return False
    return head.startswith(_EXECUTABLE_MAGIC)


def _direct(value):
    try:
        return value.get_object() if isinstance(value, IndirectObject) else value
    except Exception:  # noqa: BLE001
        return None


def _name(value) -> str:
    value = _direct(value)
    return str(value) if isinstance(value, NameObject) else ""


def _text(value) -> str:
    value = _direct(value)
    try:
        return str(value) if value is not None else ""
    except Exception:  # noqa: BLE001
        return ""
