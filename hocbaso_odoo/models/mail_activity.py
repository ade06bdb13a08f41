"""What a progress reminder is about, so that a second click does not remind twice."""

from odoo import fields, models

from .hocbaso_record import STATES


class MailActivity(models.Model):
    _inherit = "mail.activity"

    hocbaso_step = fields.Selection(STATES, string="Signing Step", readonly=True)
    hocbaso_subject_id = fields.Many2one("hocbaso.subject", string="Subject to Sign",
                                         readonly=True, ondelete="set null")
