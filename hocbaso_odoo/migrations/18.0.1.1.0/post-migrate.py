"""18.0.1.1.0 keeps the record XML in the record's row (it was an attachment): move it there."""

import logging

from odoo import SUPERUSER_ID, api

from odoo.addons.hocbaso_odoo.tools import workflow

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    attachments = env["ir.attachment"].search([
        ("res_model", "=", "hocbaso.record"), ("res_field", "=", "xml_document")])
    moved = env["ir.attachment"]
    for attachment in attachments:
        # the XML bytes, as the column keeps them since 18.0.1.2.0 (an upgrade from 18.0.1.0.x
        # runs this script with today's code); 18.0.1.2.0's script converts base64 left by
        # an earlier run of this one
        data = attachment.raw
        if not data:  # its file is missing from the filestore: keep the attachment, say so
            _logger.warning("record %s: the XML attachment %s has no readable content; left "
                            "in place", attachment.res_id, attachment.id)
            continue
        cr.execute("UPDATE hocbaso_record SET xml_document = %s WHERE id = %s "
                   "AND xml_document IS NULL", [data, attachment.res_id])
        if not cr.rowcount:  # no such record, or its row already holds a document
            _logger.warning("record %s: no empty document column to move the XML attachment "
                            "%s into; left in place", attachment.res_id, attachment.id)
            continue
        moved |= attachment
    with workflow(env):  # the documents themselves moved into their rows just above
        moved.unlink()
    _logger.info("moved %s record documents from attachments into hocbaso_record", len(moved))
