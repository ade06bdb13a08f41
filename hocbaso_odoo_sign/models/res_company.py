from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    hocbaso_signer_count = fields.Integer(
        string="Teachers and Leaders", compute="_compute_hocbaso_certified")
    hocbaso_certified_count = fields.Integer(
        string="With a Valid Signing Certificate", compute="_compute_hocbaso_certified")
    hocbaso_certified_pct = fields.Float(
        string="Staff Equipped to Sign (%)", compute="_compute_hocbaso_certified",
        help="Share of the school's teachers and leaders who hold a valid personal signing "
             "certificate registered here (the figure provinces report, e.g. 94.64%).")
    hocbaso_agent_port = fields.Integer(
        string="Signing Agent Port", default=8987,
        help="The port on 127.0.0.1 where the signing agent listens on the teachers' computers "
             "(hocbaso-agent --port), for certificates whose key is on a USB token there.")

    @api.constrains("hocbaso_agent_port")
    def _check_hocbaso_agent_port(self):
        for company in self:
            if not 0 < company.hocbaso_agent_port < 65536:
                raise ValidationError(self.env._("The signing agent port must be between 1 "
                                                 "and 65535."))

    @api.depends_context("uid")
    def _compute_hocbaso_certified(self):
        # every teacher and leader: the staff who sign with a personal certificate (the
        # homeroom group implies the subject teacher's; the leadership is given on its own)
        groups = self.env.ref("hocbaso_odoo.group_subject_teacher") \
            | self.env.ref("hocbaso_odoo.group_leadership")
        signers = self.env["res.users"].sudo().search([
            ("groups_id", "in", groups.ids),
            ("company_ids", "in", self.ids), ("share", "=", False)])
        certificates = self.env["hocbaso.signing.certificate"].sudo().search([
            ("kind", "=", "personal"), ("company_id", "in", self.ids),
            ("user_id", "!=", False)])
        for company in self:
            staff = signers.filtered(lambda user: company in user.company_ids)
            equipped = certificates.filtered(
                lambda cert: cert.company_id == company and cert.user_id in staff
                and cert.status == "valid").user_id
            company.hocbaso_signer_count = len(staff)
            company.hocbaso_certified_count = len(equipped)
            company.hocbaso_certified_pct = round(100.0 * len(equipped) / len(staff), 2) \
                if staff else 0.0
