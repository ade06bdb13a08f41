"""Per-school connection settings for the sector database (CSDL ngành)."""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso.csdl.client import CsdlClient
from hocbaso.csdl.protocol import MAX_BATCH
from hocbaso.errors import HocbasoError

from odoo.addons.hocbaso_odoo.tools import lib_message

_logger = logging.getLogger(__name__)

ADMIN_GROUP = "hocbaso_odoo.group_school_admin"


class HocbasoSyncConfig(models.Model):
    _name = "hocbaso.sync.config"
    _description = "Sector Database Connection"
    _check_company_auto = True
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", string="School", required=True,
                                 default=lambda self: self.env.company, ondelete="cascade")
    endpoint_url = fields.Char(string="CSDL Address", required=True,
                               help="Base address of the sector database API, e.g. "
                                    "https://csdl.example.gov.vn")
    client_id = fields.Char(string="Client ID", required=True)
    # The secret is readable by system administrators only; it is never shown to others and
    # never written to the log (CsdlClient keeps it out of its repr and messages).
    client_secret = fields.Char(groups="base.group_system", copy=False)
    has_secret = fields.Boolean(compute="_compute_has_secret", string="Secret Set")
    school_code = fields.Char(string="School Code at the CSDL", required=True,
                              default=lambda self: self.env.company.hocbaso_school_code,
                              help="ma_truong sent with every record (MOET school code).")
    mode = fields.Selection([("demo", "Demo"), ("test", "Test"), ("production", "Production")],
                            required=True, default="test")
    batch_size = fields.Integer(default=50, required=True,
                                help="Records sent per request and per cron step (1-100).")
    timeout = fields.Float(string="Answer Timeout (s)", default=30.0, required=True,
                           help="How long to wait for the CSDL's answer before retrying later.")
    active = fields.Boolean(default=True)
    # dashboard figures
    pending_count = fields.Integer(compute="_compute_outbox", string="Waiting")
    failed_count = fields.Integer(compute="_compute_outbox", string="Failed")
    acknowledged_count = fields.Integer(compute="_compute_outbox", string="Acknowledged")
    waiting_id_count = fields.Integer(
        compute="_compute_outbox", string="Waiting for a Personal ID",
        help="Records of students without a personal ID (foreign students, or students whose "
             "parents have not obtained it yet): they go to the CSDL once the ID is entered.")
    oldest_pending_at = fields.Datetime(compute="_compute_outbox", string="Oldest Waiting Since")
    oldest_pending_hours = fields.Float(compute="_compute_outbox",
                                        string="Oldest Waiting (hours)")

    _sql_constraints = [
        ("company_unique", "UNIQUE(company_id)",
         "A school has one CSDL connection; edit the existing one."),
    ]

    @api.depends_context("uid")
    def _compute_has_secret(self):
        for config, secret in zip(self, self.sudo().mapped("client_secret")):
            config.has_secret = bool(secret)

    @api.onchange("company_id")
    def _onchange_company_id(self):
        if self.company_id.hocbaso_school_code:
            self.school_code = self.company_id.hocbaso_school_code

    def _compute_outbox(self):
        Entry = self.env["hocbaso.sync.entry"].sudo()
        now = fields.Datetime.now()
        for config in self:
            domain = [("company_id", "=", config.company_id.id)]
            counts = dict(Entry._read_group(domain, ["state"], ["__count"]))
            waiting = Entry.search(domain + [("state", "in", ("pending", "retrying", "sending"))],
                                   order="event_time, id", limit=1)
            config.pending_count = sum(counts.get(s, 0) for s in ("pending", "retrying",
                                                                   "sending"))
            config.failed_count = counts.get("failed", 0)
            config.acknowledged_count = counts.get("acknowledged", 0)
            config.waiting_id_count = counts.get("waiting_id", 0)
            config.oldest_pending_at = waiting.event_time
            config.oldest_pending_hours = round(
                (now - waiting.event_time).total_seconds() / 3600, 2) if waiting else 0.0

    def action_view_entries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo_sync.hocbaso_sync_entry_action")
        action["domain"] = [("company_id", "=", self.company_id.id)]
        return action

    @api.constrains("batch_size", "timeout", "endpoint_url")
    def _check_values(self):
        for config in self:
            if not 1 <= config.batch_size <= MAX_BATCH:
                raise ValidationError(_("The batch size must be between 1 and %(max)s.",
                                        max=MAX_BATCH))
            if config.timeout <= 0:
                raise ValidationError(_("The answer timeout must be a positive number of "
                                        "seconds."))
            if not (config.endpoint_url or "").startswith(("https://", "http://")):
                raise ValidationError(_("The CSDL address must start with https://."))
            if config.mode == "production" and not config.endpoint_url.startswith("https://"):
                raise ValidationError(_("In production the CSDL address must use https://."))

    def _csdl_client(self):
        """A CsdlClient for this school (reads the secret as superuser, never logs it)."""
        self.ensure_one()
        secret = self.sudo().client_secret
        if not secret:
            raise UserError(_("The client secret of the CSDL connection of %(school)s is not "
                              "set.", school=self.company_id.name))
        return CsdlClient(self.endpoint_url, self.client_id, secret, self.school_code,
                          timeout=(min(5.0, self.timeout), self.timeout))

    @api.model
    def _check_admin(self):
        if not self.env.su and not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(_("Only the school administrator can manage the CSDL sync."))

    @api.model
    def _for_company(self, company):
        return self.sudo().search([("company_id", "=", company.id)], limit=1)

    def action_test_connection(self):
        self.ensure_one()
        self._check_admin()
        try:
            self._csdl_client().test_connection()
            kind, title = "success", _("CSDL connection works")
            message = _("Connected to %(url)s: the credentials of school %(code)s were "
                        "accepted.", url=self.endpoint_url, code=self.school_code)
        except HocbasoError as err:
            kind, title, message = "danger", _("CSDL connection failed"), lib_message(self.env, err)
        _logger.info("CSDL connection test for %s: %s", self.company_id.name, kind)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind,
                       "sticky": kind != "success"},
        }
