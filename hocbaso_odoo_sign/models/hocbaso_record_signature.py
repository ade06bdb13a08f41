from odoo import fields, models
from odoo.exceptions import UserError

ROLES = [
    ("gvbm", "Subject Teacher (GVBM)"),
    ("gvcn", "Homeroom Teacher (GVCN)"),
    ("cbql", "School Leadership"),
    ("phathanh", "Issuance (School Seal)"),
    ("revocation", "Revocation Statement"),
]


class HocbasoRecordSignature(models.Model):
    """One signature placed on a record: the log next to the signed XML itself."""

    _name = "hocbaso.record.signature"
    _description = "Record Signature"
    _order = "record_id, signing_time, id"

    record_id = fields.Many2one("hocbaso.record", required=True, ondelete="cascade", index=True,
                                readonly=True)
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    record_version = fields.Integer(related="record_id.version", string="Version")
    role = fields.Selection(ROLES, required=True, readonly=True)
    subject_id = fields.Many2one("hocbaso.subject", string="Subject", readonly=True)
    user_id = fields.Many2one("res.users", string="Signed By", required=True, readonly=True)
    certificate_id = fields.Many2one("hocbaso.signing.certificate", string="Certificate",
                                     readonly=True, ondelete="restrict")
    certificate_subject = fields.Char(readonly=True)
    signing_time = fields.Datetime(required=True, readonly=True)
    signature_ref = fields.Char(string="Signature Id", readonly=True)
    digest = fields.Char(string="SignedInfo SHA-256", readonly=True)
    backend = fields.Selection(related="certificate_id.backend")

    def write(self, vals):
        # a log of signatures is append-only (sudo writes from the signing layer included)
        raise UserError(self.env._("The signature log cannot be changed."))

    def unlink(self):
        raise UserError(self.env._("The signature log cannot be deleted."))
