"""The certificate each user last signed with, per role: the signing wizard offers it first."""

from psycopg2 import errors

from odoo import api, fields, models

from hocbaso import roles


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
        """Keep ``certificate`` as the current user's choice for ``role``.

        One statement that inserts or updates: the same user signing in two sessions at once
        (two tabs, two Odoo workers) would otherwise both insert and the second session's
        signatures would be undone by the unique key. A session whose snapshot predates the
        other's choice gets a serialization error from PostgreSQL; the choice is a convenience,
        so that session leaves it to the other one and keeps its signatures."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute("""
                    INSERT INTO hocbaso_sign_choice
                        (user_id, role, certificate_id, create_uid, create_date, write_uid,
                         write_date)
                    VALUES (%(uid)s, %(role)s, %(cert)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                            %(uid)s, NOW() AT TIME ZONE 'UTC')
                    ON CONFLICT (user_id, role) DO UPDATE
                        SET certificate_id = EXCLUDED.certificate_id,
                            write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                        WHERE hocbaso_sign_choice.certificate_id != EXCLUDED.certificate_id
                """, {"uid": self.env.uid, "role": role, "cert": certificate.id},
                    log_exceptions=False)
        except errors.SerializationFailure:
            return
        self.invalidate_model(["certificate_id"])

    @api.model
    def _last(self, role):
        """The certificate the current user last used for ``role`` (may be empty)."""
        return self.sudo().search([("user_id", "=", self.env.uid), ("role", "=", role)],
                                  limit=1).certificate_id.with_env(self.env)
