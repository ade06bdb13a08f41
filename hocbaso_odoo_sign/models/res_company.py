from odoo import api, fields, models


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

    @api.depends_context("uid")
    def _compute_hocbaso_certified(self):
        # every teacher and leader (the leadership and homeroom groups imply this one)
        signers = self.env["res.users"].sudo().search([
            ("groups_id", "in", self.env.ref("hocbaso_odoo.group_subject_teacher").id),
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
