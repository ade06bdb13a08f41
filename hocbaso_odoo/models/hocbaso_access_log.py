"""Who looked at or took away a record: the access log."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import hmac

ACCESS_ACTIONS = [
    ("view", "Viewed"),
    ("download_pdf", "Downloaded PDF"),
    ("download_package", "Downloaded Package"),
    ("download_xml", "Downloaded XML"),
    ("verify", "Verified"),
    ("transfer_export", "Transfer Out (exported)"),
    ("transfer_import", "Transfer In (imported)"),
]


def hash_ip(env, ip):
    """A keyed hash of a client IP: the log can count and group visitors without keeping IPs."""
    if not ip:
        return ""
    return hmac(env(su=True), "hocbaso-access-log-ip", ip)[:16]


class HocbasoAccessLog(models.Model):
    """One line per access to a record; kept with the record, never changed nor deleted."""

    _name = "hocbaso.access.log"
    _description = "Record Access Log"
    _order = "access_time desc, id desc"
    _check_company_auto = True

    record_id = fields.Many2one("hocbaso.record", ondelete="restrict", index=True,
                                readonly=True)
    transfer_id = fields.Many2one("hocbaso.record.transfer", string="Imported Record",
                                  ondelete="restrict", index=True, readonly=True)
    student_id = fields.Many2one("hocbaso.student", readonly=True, index=True)
    company_id = fields.Many2one("res.company", string="School", required=True, readonly=True,
                                 index=True, default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", readonly=True,
                              help="Empty for a visitor of the public verification page.")
    is_public = fields.Boolean(string="Public Visitor", readonly=True)
    ip_hash = fields.Char(string="Visitor (IP hash)", readonly=True,
                          help="A keyed hash of the visitor's IP address; the address is not kept.")
    action = fields.Selection(ACCESS_ACTIONS, required=True, readonly=True, index=True)
    access_time = fields.Datetime(string="Time", required=True, readonly=True,
                                  default=fields.Datetime.now, index=True)
    detail = fields.Char(readonly=True)

    def write(self, vals):  # pylint: disable=method-required-super
        # no write at all, whoever asks: a log line is evidence
        raise UserError(_("The access log cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The access log is kept with the records and cannot be deleted."))

    @api.model
    def _log(self, action, records=None, transfers=None, student=None, detail=None, ip=None,
             public=None):
        """Write log lines, as superuser: whoever may act on a record is logged, not checked
        here."""
        user = self.env.user
        if public is None:
            public = user._is_public()
        ip_hash = hash_ip(self.env, ip) if ip else ""
        base = {
            "action": action, "user_id": False if public else user.id, "is_public": public,
            "ip_hash": ip_hash, "detail": (detail or "")[:250],
        }
        vals_list = []
        for record in (records or self.env["hocbaso.record"]).sudo():
            vals_list.append(dict(base, record_id=record.id, student_id=record.student_id.id,
                                  company_id=record.company_id.id))
        for transfer in (transfers or self.env["hocbaso.record.transfer"]).sudo():
            vals_list.append(dict(base, transfer_id=transfer.id,
                                  student_id=transfer.student_id.id,
                                  company_id=transfer.company_id.id))
        if not vals_list and student:
            vals_list.append(
                dict(base, student_id=student.id, company_id=student.sudo().company_id.id)
            )
        return self.sudo().create(vals_list) if vals_list else self.browse()


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    access_log_ids = fields.One2many("hocbaso.access.log", "record_id")
    access_log_count = fields.Integer(compute="_compute_access_log_count",
                                      groups="hocbaso_odoo.group_school_admin")

    def _compute_access_log_count(self):
        data = self.env["hocbaso.access.log"].sudo()._read_group(
            [("record_id", "in", self.ids)], ["record_id"], ["__count"])
        counts = {record.id: count for record, count in data}
        for record in self:
            record.access_log_count = counts.get(record.id, 0)

    def _log_access(self, action, detail=None, ip=None, public=None):
        """Log ``action`` on these records (view, download_pdf, ...); for use by any code."""
        return self.env["hocbaso.access.log"]._log(action, records=self, detail=detail, ip=ip,
                                                   public=public)

    def action_view_access_log(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Access Log"),
            "res_model": "hocbaso.access.log",
            "view_mode": "list,form",
            "domain": [("record_id", "=", self.id)],
            "context": {"create": False},
        }
