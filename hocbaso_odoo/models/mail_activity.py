"""A progress reminder: one open per person and school, closed once nothing waits for her."""

from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    hocbaso_reminder = fields.Boolean(string="Signing Reminder", readonly=True, index=True)
