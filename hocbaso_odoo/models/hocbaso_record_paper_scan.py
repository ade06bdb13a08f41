"""The scan of the paper record a digitised record (trích lục) was made from, kept with it."""

import base64

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# what a scanner writes, by the file's first bytes: PDF, JPEG, PNG, TIFF (both byte orders)
SCAN_SIGNATURES = (b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")
MAX_SCAN_BYTES = 20 * 1024 * 1024


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    paper_scan = fields.Binary(string="Paper Record Scan", attachment=True, copy=False,
                               help="The scan of the paper record this extract was made from.")
    paper_scan_filename = fields.Char(string="Scan File Name", copy=False)

    def write(self, vals):
        if {"paper_scan", "paper_scan_filename"}.intersection(vals) and not self.env.su:
            for record in self:
                if record._is_signed():
                    raise UserError(
                        _(
                            "The scan of the paper record of %(student)s is kept with the "
                            "signed record and cannot be replaced.",
                            student=record.student_id.name,
                        )
                    )
        return super().write(vals)

    @api.constrains("paper_scan")
    def _check_paper_scan(self):
        """Only a scan is kept beside the record: it is shown to inspectors and travels with
        the record, so an HTML page, an SVG or a script is refused, as is an oversized file."""
        for record in self.with_context(bin_size=False):  # the bytes, not their size
            if not record.paper_scan:
                continue
            scan = base64.b64decode(record.paper_scan)
            if len(scan) > MAX_SCAN_BYTES:
                raise ValidationError(_(
                    "The scan of the paper record is %(size)s MB; at most %(limit)s MB is kept. "
                    "Scan it again at a lower resolution.", size=round(len(scan) / 2**20, 1),
                    limit=MAX_SCAN_BYTES // 2**20))
            if not scan.startswith(SCAN_SIGNATURES):
                raise ValidationError(_(
                    "The scan of the paper record must be a PDF, JPEG, PNG or TIFF file; "
                    "%(name)s is not one. Scan the paper record again and upload that file.",
                    name=record.paper_scan_filename or _("the uploaded file")))
