"""18.0.1.2.0 keeps the record XML in its column as the document's bytes, not as base64 text."""

import base64
import binascii
import logging

_logger = logging.getLogger(__name__)

BATCH = 500  # documents of tens of KB: a few MB in memory at a time


def migrate(cr, version):
    # base64 text never holds "<" (byte 60); a document already converted begins with one
    cr.execute("SELECT id FROM hocbaso_record WHERE xml_document IS NOT NULL "
               "AND position('\\x3c'::bytea IN substring(xml_document FROM 1 FOR 64)) = 0 "
               "ORDER BY id")
    ids = [row[0] for row in cr.fetchall()]
    converted = 0
    for start in range(0, len(ids), BATCH):
        cr.execute("SELECT id, xml_document FROM hocbaso_record WHERE id IN %s",
                   [tuple(ids[start:start + BATCH])])
        for record_id, stored in cr.fetchall():
            try:
                text = bytes(stored).translate(None, b"\r\n")
                document = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                _logger.warning("record %s: its stored XML is neither XML nor base64; left as "
                                "it is", record_id)
                continue
            cr.execute("UPDATE hocbaso_record SET xml_document = %s WHERE id = %s",
                       [document, record_id])
            converted += 1
    _logger.info("converted %s record documents from base64 to XML bytes", converted)
