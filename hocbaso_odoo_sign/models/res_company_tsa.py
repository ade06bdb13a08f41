"""The school's time-stamping authority (RFC 3161): every signature made here gets a trusted
timestamp from it, so the signing time stays provable after the certificates expire."""

import hashlib

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from hocbaso.errors import HocbasoError

from odoo.addons.hocbaso_odoo.models.hocbaso_record_transfer import vn_time
from odoo.addons.hocbaso_odoo.tools import lib_message

from ..tools import tsa_client
from ..tools.timestamps import DEFAULT_TSA_TIMEOUT


class ResCompany(models.Model):
    _inherit = "res.company"

    hocbaso_tsa_url = fields.Char(
        string="Time-Stamping Authority URL",
        help="Address of the RFC 3161 time-stamping authority (TSA) that puts a trusted time on "
             "every signature made here, so a record stays provable after the teachers' "
             "certificates expire. Its certificate must chain to a trusted CA of the school.")
    hocbaso_tsa_username = fields.Char(
        string="TSA User", groups="base.group_system",
        help="Only for an authority that asks for a user name and password.")
    hocbaso_tsa_password = fields.Char(string="TSA Password", groups="base.group_system")
    hocbaso_tsa_timeout = fields.Integer(
        string="TSA Timeout (seconds)", default=DEFAULT_TSA_TIMEOUT,
        help="How long to wait for the authority's answer before giving up.")
    hocbaso_tsa_required = fields.Boolean(
        string="Timestamp Required",
        help="On: when the authority cannot give a timestamp, nothing is signed and the signer "
             "is asked to try again later. Off: the signature is made without a timestamp and "
             "the record's history says so.")
    hocbaso_tsa_last_test = fields.Char(string="Last TSA Test", readonly=True)
    hocbaso_ocsp_url = fields.Char(
        string="OCSP Responder URL",
        help="Address of the certificate authority's OCSP responder, asked for the revocation "
             "status of every certificate when a record is issued; the status is kept in the "
             "record so it can be checked decades later. Empty: the revocation lists (CRLs) of "
             "the trusted CAs are used.")

    @api.constrains("hocbaso_tsa_timeout", "hocbaso_tsa_required", "hocbaso_tsa_url",
                    "hocbaso_ocsp_url")
    def _check_hocbaso_tsa(self):
        for company in self:
            if not 1 <= company.hocbaso_tsa_timeout <= 120:
                raise ValidationError(self.env._(
                    "The time-stamping authority's timeout must be between 1 and 120 seconds."))
            url = (company.hocbaso_tsa_url or "").strip()
            if url and not url.startswith(("https://", "http://")):
                raise ValidationError(self.env._(
                    "The time-stamping authority's address must start with https:// or "
                    "http://."))
            ocsp_url = (company.hocbaso_ocsp_url or "").strip()
            if ocsp_url and not ocsp_url.startswith(("https://", "http://")):
                raise ValidationError(self.env._(
                    "The OCSP responder's address must start with https:// or http://."))
            if company.hocbaso_tsa_required and not url:
                raise ValidationError(self.env._(
                    "Give the time-stamping authority's address before making timestamps "
                    "required."))

    def action_test_tsa(self):
        """Ask the authority for a timestamp over a test value and check it: the address, the
        credentials and the trust in its certificate at once."""
        self.ensure_one()
        client = tsa_client(self.env, self)
        if client is None:
            raise UserError(self.env._("Give the time-stamping authority's address first."))
        try:
            info = client.stamp_info(hashlib.sha256(b"hocbaso TSA test").digest())
        except HocbasoError as err:
            raise UserError(self.env._(
                "The time-stamping authority did not give a valid timestamp: %(problem)s",
                problem=lib_message(self.env, err))) from err
        result = self.env._("Connected: %(authority)s gave a trusted timestamp (%(time)s).",
                            authority=info.tsa_name, time=vn_time(info.gen_time))
        self.sudo().hocbaso_tsa_last_test = result
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": "success", "title": self.env._("Time-stamping authority"),
                           "message": result, "sticky": False}}
