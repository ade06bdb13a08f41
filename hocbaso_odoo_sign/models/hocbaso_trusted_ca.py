"""Certificate authorities the school trusts to sign records (national and commercial CAs)."""

import base64

from odoo import api, fields, models, _
from odoo.exceptions import ValidationError

from hocbaso.errors import HocbasoError
from hocbaso.signing import certs

from odoo.addons.hocbaso_odoo.tools import lib_message

from ..tools import load_certificate


class HocbasoTrustedCa(models.Model):
    _name = "hocbaso.trusted.ca"
    _description = "Trusted Certificate Authority"
    _order = "is_root desc, name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", string="School",
        help="Leave empty to trust this authority in every school of the database.")
    pem = fields.Text(string="Certificate (PEM)", required=True,
                      help="The authority's certificate, as PEM text.")
    is_root = fields.Boolean(
        string="Root (Trust Anchor)", default=True,
        help="A root is trusted as such; an intermediate authority only helps build the chain "
             "to a root.")
    crl_file = fields.Binary(string="Revocation List (CRL)", attachment=True,
                             help="Optional CRL of this authority, PEM or DER.")
    crl_filename = fields.Char()
    subject = fields.Char(string="Certificate Subject", compute="_compute_info", store=True)
    valid_to = fields.Datetime(compute="_compute_info", store=True)
    fingerprint = fields.Char(string="SHA-256 Fingerprint", compute="_compute_info", store=True)

    @api.depends("pem")
    def _compute_info(self):
        for ca in self:
            ca.subject = ca.valid_to = ca.fingerprint = False
            if not ca.pem:
                continue
            try:
                cert = load_certificate(ca.pem.encode())
            except HocbasoError:
                continue
            info = certs.CertificateInfo.from_certificate(cert)
            ca.subject = info.subject
            ca.valid_to = info.not_after.replace(tzinfo=None)
            ca.fingerprint = info.fingerprint_sha256

    @api.constrains("pem", "crl_file")
    def _check_files(self):
        for ca in self:
            try:
                cert = load_certificate((ca.pem or "").encode())
            except HocbasoError as err:
                raise ValidationError(_("%(ca)s: %(problem)s", ca=ca.name,
                                        problem=lib_message(self.env, err))) from err
            info = certs.CertificateInfo.from_certificate(cert)
            if not info.is_ca:
                raise ValidationError(_(
                    "%(ca)s: this certificate is not a certificate authority (its basic "
                    "constraints do not allow issuing certificates).", ca=ca.name))
            try:
                certs.check_crls_of(ca._crls(), cert)
            except HocbasoError as err:
                raise ValidationError(_("%(ca)s, revocation list: %(problem)s", ca=ca.name,
                                        problem=lib_message(self.env, err))) from err

    def _certificate(self):
        self.ensure_one()
        return load_certificate(self.pem.encode())

    def _crls(self):
        self.ensure_one()
        # the bytes even where the caller reads with bin_size (the web client's views): the
        # size text made every certificate shown there "Untrusted"
        data = self.with_context(bin_size=False).crl_file
        return certs.load_crls(base64.b64decode(data)) if data else []
