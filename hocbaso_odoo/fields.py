"""XmlDocument: a Binary column that keeps an XML document's own bytes in the database."""

import base64
import binascii

import psycopg2

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools.mimetypes import guess_mimetype


def _looks_like_xml(value: bytes) -> bool:
    # base64 text never holds "<"; an XML document has one in its first bytes (after at most a
    # byte-order mark and some blanks)
    return b"<" in value[:64]


class XmlDocument(fields.Binary):
    """A Binary field (with ``attachment=False``) whose column holds the document itself, not
    its base64 text as Odoo's Binary columns do.

    A record document is rewritten at every signature. Kept as base64 it was a third larger in
    every UPDATE (about 1.2 ms per row against 0.8 ms for 45 KB, lz4), and each write encoded it
    to base64 for Odoo's SVG check to decode it again, and each read decoded it once more.

    The ORM API does not change: reading the field gives base64 (forms, ``read()``,
    ``/web/content``), and writing it takes base64 or the XML bytes themselves. The code that
    signs reads and writes the bytes through :meth:`raw_value` and a plain write. A column
    still holding base64 (written before 18.0.1.2.0) is read correctly too.
    """

    @staticmethod
    def _to_xml(value):
        """The document's bytes from the bytes themselves or from their base64 text."""
        value = value.encode() if isinstance(value, str) else bytes(value)
        if _looks_like_xml(value):
            return value
        try:
            return base64.b64decode(value.translate(None, b"\r\n"), validate=True)
        except (binascii.Error, ValueError):
            return value  # neither: kept as given, the XML parser will say what is wrong

    def _size_only(self, record):
        context = record.env.context
        return context.get("bin_size") or context.get("bin_size_" + self.name)

    def convert_to_column(self, value, record, values=None, validate=True):
        if not value:
            return None
        document = self._to_xml(value)
        # the check Odoo's Binary makes: an SVG served from /web/content could run scripts
        if guess_mimetype(document).startswith("image/svg") and not record.env.is_system():
            raise UserError(record.env._("Only admins can upload SVG files."))
        return psycopg2.Binary(document)

    def convert_to_column_update(self, value, record):
        # straight from the cache (the document's bytes): no base64 round trip per flush
        return self.convert_to_column(value, record)

    def convert_to_cache(self, value, record, validate=True):
        if not value or isinstance(value, int) or self._size_only(record):
            return super().convert_to_cache(value, record, validate)
        return self._to_xml(value)

    def convert_to_record(self, value, record):
        if not value or self._size_only(record):
            return super().convert_to_record(value, record)
        return base64.b64encode(self._to_xml(value))

    def raw_value(self, record):
        """The document's bytes for one record (b"" when it has none), without the base64
        round trip; fetched for the whole prefetch batch on a miss, as reading the field
        would be."""
        record.ensure_one()
        if self._size_only(record):
            record = record.with_context(**{"bin_size": False, "bin_size_" + self.name: False})
        cache = record.env.cache
        if not cache.contains(record, self):
            record[self.name]  # noqa: B018 (the ORM's batch fetch, access rules included)
        value = cache.get(record, self)
        # what the database gave is cached as it came (a memoryview; base64 in a row not yet
        # converted by 18.0.1.2.0)
        return self._to_xml(value) if value else b""
