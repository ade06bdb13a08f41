"""One signature of a signing batch: the record, its slot (a signature of the record's XML, or
the certification of its printed PDF once issued), the digest the key signs (under a short
doc_id the signer sees on our screen and on the phone) and what came of it."""

import re
import unicodedata

from odoo import api, fields, models

from hocbaso import roles
from hocbaso.signing.batch import DOC_ID_RE

ITEM_KINDS = [
    ("xml", "Record Signature"),
    ("pdf", "Printed PDF"),
]
ITEM_STATES = [
    ("pending", "Waiting for Signature"),
    ("signed", "Signed"),
    ("refused", "Refused"),
    ("skipped", "Skipped"),
    ("error", "Not Signed"),
]


def ascii_code(text, size=20):
    """``text`` as a short ASCII code for a doc_id: 'Nguyễn Đức' -> 'Nguyen-Duc'."""
    text = (text or "").replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:size]


class HocbasoSignBatchItem(models.Model):
    _name = "hocbaso.sign.batch.item"
    _description = "Signing Batch Item"
    _order = "batch_id, sequence, id"

    batch_id = fields.Many2one("hocbaso.sign.batch", required=True, ondelete="cascade",
                               index=True)
    sequence = fields.Integer()
    company_id = fields.Many2one(related="batch_id.company_id", store=True, index=True)
    record_id = fields.Many2one("hocbaso.record", ondelete="cascade",
                                index=True)
    kind = fields.Selection(
        ITEM_KINDS, default="xml", required=True, readonly=True,
        help="What the key signs: a signature slot of the record's XML, or the certification "
             "of the issued record's printed PDF (a second batch, since the PDF carries the "
             "XML the first one signs).")
    role = fields.Selection(roles.SELECTION, string="Signature",
                            help="The signature slot: a subject teacher's or the batch's role.")
    subject_code = fields.Char()
    subject_id = fields.Many2one("hocbaso.subject")
    doc_id = fields.Char(string="Document Code", help="Shown on the phone beside the request.")
    label = fields.Char(string="Document")
    record_version = fields.Integer()
    # the pending signature (PendingSignature.to_dict, or for a PDF the prepared state of
    # hocbaso.pdfsign_deferred) and the document it was prepared from: internal, read and
    # written by the server only
    pending_json = fields.Text(groups="base.group_system", copy=False)
    base_sha256 = fields.Char(groups="base.group_system", copy=False)
    digest = fields.Char(groups="base.group_system", copy=False, help="base64 of the digest")
    state = fields.Selection(ITEM_STATES, default="pending", required=True, index=True)
    message = fields.Char()

    _sql_constraints = [
        ("doc_id_batch_unique", "UNIQUE(batch_id, doc_id)",
         "A document code appears once in a signing batch."),
    ]

    @api.model
    def _doc_id_for(self, record, subject_code, role, taken):
        """A short ASCII doc_id, unique in the batch (``taken``): class-student-subject."""
        student = ascii_code(record.student_id.student_code or record.student_id.name, 20) \
            or str(record.id)
        parts = [ascii_code(record.class_id.name, 12), student,
                 ascii_code(subject_code or role.upper(), 16)]
        base = "-".join(part for part in parts if part)[:56]
        doc_id, serial = base, 1
        while doc_id in taken:
            serial += 1
            doc_id = f"{base}-{serial}"
        if not DOC_ID_RE.match(doc_id):  # the record's own id: always a valid code
            doc_id = f"R{record.id}-{len(taken) + 1}"
        taken.add(doc_id)
        return doc_id
