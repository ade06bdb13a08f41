"""The public verification page's rate limit, per visitor and minute."""

from datetime import timedelta

from odoo import api, fields, models

from .hocbaso_access_log import hash_ip


class HocbasoVerifyThrottle(models.Model):
    """Counts public verifications per client (IP hash) and minute, to answer 429 when abused."""

    _name = "hocbaso.verify.throttle"
    _description = "Public Verification Rate Limit"
    _log_access = False

    key = fields.Char(required=True, index=True)  # IP hash
    minute = fields.Datetime(required=True, index=True)
    count = fields.Integer(default=0)

    _sql_constraints = [
        ("key_minute_unique", "UNIQUE(key, minute)", "One counter per client and minute.")
    ]

    @api.model
    def _hit(self, ip, limit):
        """Count one verification for ``ip``; False when the client is over ``limit`` this
        minute."""
        key = hash_ip(self.env, ip or "unknown")
        minute = fields.Datetime.now().replace(second=0, microsecond=0)
        self.env.cr.execute(
            """INSERT INTO hocbaso_verify_throttle (key, minute, count) VALUES (%s, %s, 1)
               ON CONFLICT (key, minute) DO UPDATE SET count = hocbaso_verify_throttle.count + 1
               RETURNING count""",
            (key, minute))
        count = self.env.cr.fetchone()[0]
        if count == 1:  # once per new minute and client: forget counters older than an hour
            self.env.cr.execute("DELETE FROM hocbaso_verify_throttle WHERE minute < %s",
                                (minute - timedelta(hours=1),))
        return count <= limit
