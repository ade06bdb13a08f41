"""The only way the product parses XML it did not write itself.

Record files arrive from other schools, from the sector database and from users' uploads, so
every parse goes through :func:`parse_untrusted`. It refuses, before parsing, anything that
could make the parser read local files, reach the network or blow up memory: DTDs (and with
them every entity trick: XXE, parameter entities, billion laughs), XInclude, oversized input
and encodings other than UTF-8 (a UTF-16 file would hide "<!DOCTYPE" from the byte scan).
The lxml parser is locked down as well, so a scan miss still cannot load anything.
"""

from __future__ import annotations

import re

from lxml import etree

from .errors import UnsafeXmlError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024

_XINCLUDE_NS = b"http://www.w3.org/2001/XInclude"
# "<!DOCTYPE" or "<!ENTITY" anywhere, even inside a comment: a record never needs them.
_DTD_MARKUP = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_UTF8_NAMES = {b"utf-8", b"utf8"}
_OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")


def _parser() -> etree.XMLParser:
    """A parser that never loads a DTD, resolves an entity or opens a connection.

    A new one per call: lxml parsers must not be shared between threads.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def parse_untrusted(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse XML received from outside and return its root element.

    Raises UnsafeXmlError (with a message a clerk can act on) when the input is too large, not
    UTF-8, carries a DTD/entity declarations or XInclude, or is not well-formed XML.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse_untrusted() needs the file's raw bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise UnsafeXmlError(
            "The XML file is %(size)s bytes, more than the %(limit)s bytes allowed. "
            "Check that you chose the right file.",
            size=len(data), limit=max_bytes)
    _check_encoding(data)
    if _DTD_MARKUP.search(data):
        raise UnsafeXmlError(
            "The XML file contains a DOCTYPE or entity declaration, which is refused for "
            "security reasons. Ask the sender for a plain record file without a DTD.")
    if _XINCLUDE_NS in data:
        raise UnsafeXmlError(
            "The XML file uses XInclude to pull in other files, which is refused for security "
            "reasons. Ask the sender for a self-contained record file.")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(
            "The file is not well-formed XML (line %(line)s): %(detail)s. "
            "The file may be damaged or incomplete: ask the sender for it again.",
            line=exc.lineno or "?", detail=exc.msg) from None
    if root is None:
        raise UnsafeXmlError("The XML file is empty. Ask the sender for the file again.")
    # Belt and braces: the scan above should make these impossible.
    if root.getroottree().docinfo.doctype:
        raise UnsafeXmlError(
            "The XML file contains a DOCTYPE or entity declaration, which is refused for "
            "security reasons. Ask the sender for a plain record file without a DTD.")
    return root


def _check_encoding(data: bytes) -> None:
    """Only UTF-8 (the encoding every record profile writes) is accepted."""
    if data.startswith(_OTHER_BOMS) or b"\x00" in data[:4]:
        raise UnsafeXmlError(
            "The XML file is encoded in UTF-16 or UTF-32; only UTF-8 is accepted. "
            "Save the file as UTF-8 and try again.")
    head = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    declared = _DECLARED_ENCODING.match(head[:200])
    if declared and declared.group(1).lower() not in _UTF8_NAMES:
        raise UnsafeXmlError(
            "The XML file declares the encoding %(encoding)s; only UTF-8 is accepted. "
            "Save the file as UTF-8 and try again.",
            encoding=declared.group(1).decode("ascii"))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeXmlError(
            "The XML file is not valid UTF-8 (byte %(position)s). "
            "Save the file as UTF-8 and try again.",
            position=exc.start) from None
