"""Small hand-built hostile PDFs for the verification and upload tests.

Everything stays light: the decompression bomb is built from one repeated Deflate block
(a full flush resets the compressor, so every megabyte of zeros compresses to the same
bytes), never by compressing hundreds of megabytes in the test.
"""

import zlib

MiB = 1024 * 1024
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def zeros_bomb(size_mib: int) -> bytes:
    """A zlib stream (FlateDecode) of ``size_mib`` MiB of zeros, built in a few milliseconds."""
    chunk = bytes(MiB)
    compressor = zlib.compressobj(9)
    head = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)  # steady state
    body = head + block * (size_mib - 1)
    tail = compressor.flush()  # the final empty block; its Adler-32 covers only three chunks, so recompute
    total = size_mib * MiB
    adler = ((total % 65521) << 16) | 1  # Adler-32 of `total` zero bytes: a stays 1, b counts bytes
    return body + tail[:-4] + adler.to_bytes(4, "big")


def pdf(objects: list[bytes], *, catalog_extra: bytes = b"", pages: bytes | None = None,
        page: bytes = PAGE, trailer_extra: bytes = b"") -> bytes:
    """A PDF whose objects 1 (catalog), 2 (pages) and 3 (page) come first, then ``objects`` (4, 5, ...)."""
    body = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        pages or b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        page,
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(body, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(body) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(body) + 1) + trailer_extra
    out += b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def attachment_pdf(name: bytes, data: bytes, *, compressed: bool = True) -> bytes:
    """A one-page PDF with one embedded file (object 5) named ``name``."""
    filter_ = b"/Type /EmbeddedFile /Filter /FlateDecode" if compressed else b"/Type /EmbeddedFile"
    return pdf(
        [
            b"<< /Type /Filespec /F (" + name + b") /UF (" + name + b") /EF << /F 5 0 R >> >>",
            stream(data, filter_),
        ],
        catalog_extra=b"/Names << /EmbeddedFiles << /Names [(" + name + b") 4 0 R] >> >> ",
    )


def bomb_pdf(size_mib: int = 600, name: bytes = b"sepakat-data.json") -> bytes:
    """Embedded "JSON" that inflates to ``size_mib`` MiB (600 MiB: a file of about 600 KB)."""
    return attachment_pdf(name, zeros_bomb(size_mib))


def openaction_js_pdf() -> bytes:
    return pdf([b"<< /S /JavaScript /JS (app.alert\\('Halo'\\);) >>"], catalog_extra=b"/OpenAction 4 0 R ")


def launch_pdf() -> bytes:
    return pdf([b"<< /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>"],
               catalog_extra=b"/OpenAction 4 0 R ")


def aa_pdf() -> bytes:
    """A page with an additional action (/AA) that opens a web address when the page opens."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /AA << /O 4 0 R >> >>"
    return pdf([b"<< /S /URI /URI (http://contoh.invalid/lacak) >>"], page=page)


def aa_javascript_pdf() -> bytes:
    """A page whose additional action runs JavaScript kept in a stream (/JS 5 0 R)."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /AA << /O 4 0 R >> >>"
    return pdf([b"<< /S /JavaScript /JS 5 0 R >>", stream(b"this.print();")], page=page)


def embedded_exe_pdf() -> bytes:
    return attachment_pdf(b"setup.exe", b"MZ\x90\x00" + bytes(60), compressed=False)


def hex_obfuscated_js_pdf() -> bytes:
    """/JavaScript written with #-escapes in names (/J#61vaScript is /JavaScript)."""
    return pdf([b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\);) >>"], catalog_extra=b"/Open#41ction 4 0 R ")


def many_pages_pdf(count: int) -> bytes:
    """A page tree with ``count`` references to the same page: tiny file, huge page count."""
    kids = b" ".join([b"3 0 R"] * count)
    return pdf([], pages=b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count)


def names_tree_js_pdf() -> bytes:
    """Document-level JavaScript in the catalog's /Names /JavaScript tree (run when the file opens)."""
    return pdf([b"<< /S /JavaScript /JS (app.alert\\(1\\);) >>"],
               catalog_extra=b"/Names << /JavaScript << /Names [(mulai) 4 0 R] >> >> ")


def object_stream_pdf(action: bytes = b"<< /S /JavaScript /JS (app.alert\\(1\\);) >>") -> bytes:
    """Catalog, pages, page and ``action`` (the catalog's /OpenAction) packed in a compressed object
    stream, with a cross-reference stream: none of them is visible in the raw bytes."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE,
        action,
    ]
    header, body = b"", b""
    for number, obj in enumerate(objects, start=1):
        header += b"%d %d " % (number, len(body))
        body += obj + b"\n"
    packed = zlib.compress(header + body)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    objstm_offset = len(out)
    out += b"5 0 obj\n" + stream(packed, b"/Type /ObjStm /N 4 /First %d /Filter /FlateDecode" % len(header))
    out += b"\nendobj\n"
    xref_offset = len(out)
    rows = [bytes([0]) + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    rows += [bytes([2]) + (5).to_bytes(4, "big") + index.to_bytes(2, "big") for index in range(4)]
    rows += [bytes([1]) + objstm_offset.to_bytes(4, "big") + bytes(2)]
    rows += [bytes([1]) + xref_offset.to_bytes(4, "big") + bytes(2)]
    table = zlib.compress(b"".join(rows))
    out += b"6 0 obj\n" + stream(table, b"/Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode")
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def hex_object_stream_bomb(size_mib: int = 300) -> bytes:
    """The catalog, pages and page in an object stream filtered [/ASCIIHexDecode /FlateDecode] that
    inflates to ``size_mib`` MiB: hex text hides the zlib stream from a raw scan, so the readers'
    own limits (pypdf's, pyHanko's) must bound it."""
    import binascii

    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE]
    header, body = b"", b""
    for number, obj in enumerate(objects, start=1):
        header += b"%d %d " % (number, len(body))
        body += obj + b"\n"
    prefix = header + body
    chunk = bytes(MiB)
    compressor = zlib.compressobj(9)
    packed = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    packed += (compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)) * size_mib
    adler = zlib.adler32(prefix)
    for _ in range(size_mib):
        adler = zlib.adler32(chunk, adler)
    packed += compressor.flush()[:-4] + adler.to_bytes(4, "big")
    out = bytearray(b"%PDF-1.7\n")
    objstm_offset = len(out)
    dictionary = b"/Type /ObjStm /N 3 /First %d /Filter [/ASCIIHexDecode /FlateDecode]" % len(header)
    out += b"4 0 obj\n" + stream(binascii.hexlify(packed) + b">", dictionary) + b"\nendobj\n"
    xref_offset = len(out)
    rows = [bytes([0]) + bytes(4) + (65535).to_bytes(2, "big")]
    rows += [bytes([2]) + (4).to_bytes(4, "big") + index.to_bytes(2, "big") for index in range(3)]
    rows += [bytes([1]) + offset.to_bytes(4, "big") + bytes(2) for offset in (objstm_offset, xref_offset)]
    out += b"5 0 obj\n" + stream(zlib.compress(b"".join(rows)),
                                 b"/Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode")
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)
