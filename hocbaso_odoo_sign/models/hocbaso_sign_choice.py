"""The certificate each user last signed with, per role: the signing wizard offers it first."""

import logging

from psycopg2 import errors as pg_errors

from odoo import api, fields, models

from hocbaso import roles

_logger = logging.getLogger(__name__)


class HocbasoSignChoice(models.Model):
    _name = "hocbaso.sign.choice"
    _description = "Last Certificate Used"

    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", index=True)
    role = fields.Selection(roles.SELECTION, required=True)
    certificate_id = fields.Many2one("hocbaso.signing.certificate", required=True,
                                     ondelete="cascade")

    _sql_constraints = [
        ("user_role_unique", "UNIQUE(user_id, role)", "One remembered certificate per role."),
    ]

    @api.model
    def _remember(self, role, certificate):
        """Keep ``certificate`` as the current user's choice for ``role``."""
        choice = self.sudo().search([("user_id", "=", self.env.uid), ("role", "=", role)],
                                    limit=1)
        if choice:
            if choice.certificate_id != certificate:
                choice.certificate_id = certificate.id
            return
        # The same signer in two sessions at once (two tabs, two workers of a large school)
        # both find no row: the one that comes second keeps the first one's choice instead of
        # failing its signing on the unique key. Under REPEATABLE READ a row inserted by the
        # other session after our snapshot is a serialization failure, not a silent conflict.
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "INSERT INTO hocbaso_sign_choice (user_id, role, certificate_id, create_uid,"
                    " create_date, write_uid, write_date) VALUES (%(uid)s, %(role)s, %(cert)s,"
                    " %(uid)s, %(now)s, %(uid)s, %(now)s) ON CONFLICT (user_id, role) DO NOTHING",
                    {"uid": self.env.uid, "role": role, "cert": certificate.id,
                     "now": fields.Datetime.now()}, log_exceptions=False)
        except pg_errors.SerializationFailure:
            _logger.info("%s's certificate for %s was remembered by another session of theirs",
                         self.env.user.login, role)

    @api.model
    def _last(self, role):
        """The certificate the current user last used for ``role`` (may be empty)."""
        return self.sudo().search([("user_id", "=", self.env.uid), ("role", "=", role)],
                                  limit=1).certificate_id.with_env(self.env)
