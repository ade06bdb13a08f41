from odoo import _, api, fields, models
from odoo.exceptions import UserError

from hocbaso import roles
from hocbaso.signing import certs

from odoo.addons.hocbaso_odoo.tools import in_workflow

# what a correction before issuance writes on a row; nothing else of a row ever changes
WITHDRAWAL_FIELDS = frozenset({"withdrawn_on", "withdrawn_by", "withdraw_reason"})

ROLES = [*roles.SELECTION, ("revocation", "Revocation Statement")]


class HocbasoRecordSignature(models.Model):
    """One signature placed on a record: the log next to the signed XML itself."""

    _name = "hocbaso.record.signature"
    _inherit = ["hocbaso.sealed.mixin"]
    _description = "Record Signature"
    _order = "record_id, signing_time, id"

    record_id = fields.Many2one("hocbaso.record", required=True, ondelete="cascade", index=True,
                                readonly=True)
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    record_version = fields.Integer(related="record_id.version", string="Version")
    role = fields.Selection(ROLES, required=True, readonly=True)
    subject_id = fields.Many2one("hocbaso.subject", readonly=True)
    user_id = fields.Many2one("res.users", string="Signed By", required=True, readonly=True)
    certificate_id = fields.Many2one("hocbaso.signing.certificate",
                                     readonly=True, ondelete="restrict")
    certificate_subject = fields.Char(readonly=True)
    certificate_holder = fields.Char(
        compute="_compute_certificate_holder",
        help="The name the certificate is issued to (its common name), without the holder's "
             "ID numbers.")
    signing_time = fields.Datetime(required=True, readonly=True)
    signature_ref = fields.Char(string="Signature Id", readonly=True)
    digest = fields.Char(string="SignedInfo SHA-256", readonly=True)
    backend = fields.Selection(related="certificate_id.backend")
    # a correction before issuance takes the signature out of the document; the row stays
    withdrawn_on = fields.Datetime(readonly=True)
    withdrawn_by = fields.Many2one("res.users", readonly=True)
    withdraw_reason = fields.Text(string="Reason for Withdrawal", readonly=True)

    @api.depends("certificate_subject")
    def _compute_certificate_holder(self):
        for signature in self:
            signature.certificate_holder = certs.subject_holder(
                signature.certificate_subject)

    def write(self, vals):
        # a log of signatures is append-only (sudo writes from the signing layer included):
        # the workflow only marks a row withdrawn, once
        if not in_workflow(self.env) or set(vals) - WITHDRAWAL_FIELDS \
                or self.filtered("withdrawn_on"):
            raise UserError(_("The signature log cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The signature log cannot be deleted."))
