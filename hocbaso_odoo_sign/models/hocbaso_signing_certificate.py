"""Signing certificates: a teacher's personal certificate or the school's organisation one."""

import base64

from odoo import api, fields, models, _
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_date

from hocbaso import roles, timeutil
from hocbaso.errors import CertificatePurposeError, HocbasoError
from hocbaso.signing import certs
from hocbaso.signing.pkcs12 import check_pkcs12_file

from odoo.addons.hocbaso_odoo.tools import lib_message

from ..tools import load_certificate, trust_material

STATUS = [
    ("valid", "Valid"),
    ("expired", "Expired"),
    ("not_yet_valid", "Not Yet Valid"),
    ("revoked", "Revoked"),
    ("untrusted", "Untrusted"),
    ("wrong_purpose", "Not for Signing"),
    ("unreadable", "Unreadable"),
]


class HocbasoSigningCertificate(models.Model):
    _name = "hocbaso.signing.certificate"
    _description = "Signing Certificate"
    _order = "company_id, kind, user_id, valid_to desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", string="School", required=True, index=True,
                                 default=lambda self: self.env.company)
    user_id = fields.Many2one(
        "res.users", string="Holder", index=True, check_company=True,
        help="The teacher or leader this personal certificate belongs to. Empty for the "
             "school's organisation certificate.")
    kind = fields.Selection([("personal", "Personal"), ("organisation", "Organisation (School)")],
                            required=True, default="personal")
    certificate_file = fields.Binary(string="Certificate", required=True, attachment=False,
                                     help="The certificate (.pem, .cer or .crt) without its key.")
    certificate_filename = fields.Char()
    subject_name = fields.Char(compute="_compute_info", store=True)
    subject = fields.Char(string="Certificate Subject", compute="_compute_info", store=True)
    personal_id = fields.Char(string="Personal ID", compute="_compute_info", store=True)
    tax_code = fields.Char(string="Tax Code (MST)", compute="_compute_info", store=True)
    issuer = fields.Char(compute="_compute_info", store=True)
    issuer_name = fields.Char(
        string="Issued By", compute="_compute_info", store=True,
        help="The certificate authority that issued it (VNPT-CA, Viettel-CA...).")
    serial = fields.Char(compute="_compute_info", store=True)
    valid_from = fields.Datetime(compute="_compute_info", store=True)
    valid_to = fields.Datetime(compute="_compute_info", store=True)
    fingerprint = fields.Char(string="SHA-256 Fingerprint", compute="_compute_info", store=True,
                              index=True)
    status = fields.Selection(STATUS, compute="_compute_status",
                              help="Checked now against the trusted certificate authorities.")
    status_message = fields.Char(compute="_compute_status")
    backend = fields.Selection(
        [("pkcs12", "PKCS#12 File (.p12/.pfx)"), ("pkcs11", "USB Token / HSM (PKCS#11)"),
         ("remote", "Remote Signing Service"), ("agent", "USB Token on My Computer")],
        required=True, default="pkcs12",
        help="USB Token on My Computer: the key stays on the holder's computer and signs through "
             "the signing agent installed there; only the certificate is registered here.")
    p12_file = fields.Binary(string="Certificate File with Key (.p12)", attachment=True,
                             help="Kept encrypted by its own password; the password is asked "
                                  "at every signing.")
    p12_filename = fields.Char()
    pkcs11_module = fields.Char(
        string="PKCS#11 Module",
        help="Path of the token driver, e.g. /usr/lib/softhsm/libsofthsm2.so",
    )
    pkcs11_token_label = fields.Char(string="Token Label")
    pkcs11_key_label = fields.Char(string="Key Label")
    remote_user_ref = fields.Char(string="User Reference",
                                  help="The account of the holder at the signing service.")
    provider_id = fields.Many2one(
        "hocbaso.signing.provider", string="Signing Service", check_company=True,
        help="The school's account at the remote signing service (VNPT SmartCA, a CSC "
             "service...) that holds this key.")
    provider_serial = fields.Char(
        string="Serial at the Service",
        help="The certificate's serial number as the signing service lists it; empty: the "
             "certificate's own serial.")

    _sql_constraints = [
        ("fingerprint_company_unique", "UNIQUE(fingerprint, company_id)",
         "This certificate is already registered for this school."),
    ]

    @api.depends("subject_name", "serial", "kind")
    def _compute_name(self):
        unnamed = _("Certificate")  # not inside the f-string: the term exporter reads no f-string
        for rec in self:
            rec.name = f"{rec.subject_name or unnamed} ({rec.serial or '?'})"

    @api.depends("subject_name", "user_id.name", "issuer_name", "valid_to")
    @api.depends_context("lang")
    def _compute_display_name(self):
        """What a picker, a breadcrumb or a message shows: the holder, the certificate
        authority and the last day of validity, not a serial or a file name:
        "Đặng Văn Nam (VNPT-CA) — hiệu lực đến 31/12/2027", the day as the reader's language
        writes dates, on the school's clock (the same as the Valid To column)."""
        for rec in self:
            holder = rec.subject_name or rec.user_id.name or rec.name
            if rec.issuer_name and rec.valid_to:
                rec.display_name = self.env._(
                    "%(holder)s (%(issuer)s) — valid until %(date)s", holder=holder,
                    issuer=rec.issuer_name,
                    date=format_date(self.env, timeutil.to_vn(rec.valid_to).date()))
            else:
                rec.display_name = holder

    @api.depends("certificate_file")
    def _compute_info(self):
        for rec in self:
            vals = dict.fromkeys(("subject_name", "subject", "personal_id", "tax_code", "issuer",
                                  "issuer_name", "serial", "valid_from", "valid_to",
                                  "fingerprint"), False)
            cert = rec._x509(raise_error=False)
            if cert is not None:
                info = certs.CertificateInfo.from_certificate(cert)
                vals.update(subject_name=info.name, subject=info.subject,
                            personal_id=info.personal_id or False, tax_code=info.tax_code or False,
                            issuer=info.issuer, issuer_name=info.issuer_name or info.issuer,
                            serial=info.serial,
                            valid_from=info.not_before.replace(tzinfo=None),
                            valid_to=info.not_after.replace(tzinfo=None),
                            fingerprint=info.fingerprint_sha256)
            rec.update(vals)

    @api.depends_context("uid")
    def _compute_status(self):
        now = timeutil.now_utc()
        for rec in self:
            rec.status, rec.status_message = rec._check_status(now)

    def _x509(self, raise_error=True):
        self.ensure_one()
        # the bytes, also where the web client reads the record with bin_size (its list and
        # form views): the size text instead made every certificate "Unreadable"
        data = self.sudo().with_context(bin_size=False).certificate_file
        try:
            return load_certificate(base64.b64decode(data)) if data else None
        except (HocbasoError, ValueError):
            if raise_error:
                raise
            return None

    def _purpose(self):
        return certs.PURPOSE_ORGANISATION if self.kind == "organisation" else certs.PURPOSE_PERSONAL

    def _check_status(self, at):
        """(status, message) of this certificate at ``at`` (aware datetime)."""
        self.ensure_one()
        cert = self._x509(raise_error=False)
        if cert is None:
            return "unreadable", _("The certificate file cannot be read.")
        if at > cert.not_valid_after_utc:
            status = "expired"
        elif at < cert.not_valid_before_utc:
            status = "not_yet_valid"
        else:
            status = "valid"
        roots, intermediates, crls = trust_material(self.env, self.company_id)
        try:
            certs.check_certificate(cert, trusted=roots, intermediates=intermediates, crls=crls,
                                    at=at, purpose=self._purpose())
        except HocbasoError as err:
            message = err.message
            if status == "valid":
                status = ("revoked" if "revoked" in err.template
                          else "wrong_purpose" if isinstance(err, CertificatePurposeError)
                          else "untrusted")
            return status, message
        return status, _("Trusted and valid.")

    def _check_usable(self, at=None):
        """Raise a clear ValidationError unless the certificate may sign at ``at``."""
        for rec in self:
            status, message = rec._check_status(at or timeutil.now_utc())
            if status != "valid":
                label = dict(STATUS)[status]
                raise ValidationError(_(
                    "The certificate %(cert)s cannot sign: %(status)s. %(detail)s",
                    cert=rec.display_name, status=label, detail=message))

    @api.constrains("kind", "user_id", "certificate_file", "company_id")
    def _check_holder(self):
        for rec in self:
            cert = rec._x509(raise_error=False)
            if cert is None:
                raise ValidationError(_("The uploaded certificate cannot be read. Upload a .pem, "
                                        ".cer or .crt file from the certificate provider."))
            if rec.kind == "personal":
                if not rec.user_id:
                    raise ValidationError(_("A personal certificate needs its holder."))
                if not rec.personal_id:
                    raise ValidationError(_(
                        "The certificate %(cert)s carries no personal ID (CCCD/CMND): it cannot "
                        "be a personal signing certificate.", cert=rec.subject_name))
                if rec.personal_id != (rec.user_id.sudo().hocbaso_personal_id or ""):
                    raise ValidationError(_(
                        "The certificate belongs to personal ID %(cert_id)s, but %(user)s has "
                        "personal ID %(user_id)s. Register the certificate for its holder.",
                        cert_id=rec.personal_id, user=rec.user_id.name,
                        user_id=rec.user_id.sudo().hocbaso_personal_id or _("none")))
            else:
                if rec.user_id:
                    raise ValidationError(_("The school's organisation certificate has no "
                                            "personal holder; leave the holder empty."))
                if not rec.tax_code:
                    raise ValidationError(_(
                        "The certificate %(cert)s carries no tax code (MST): it is not an "
                        "organisation certificate.", cert=rec.subject_name))

    @api.constrains("backend", "pkcs11_module", "pkcs11_token_label", "remote_user_ref",
                    "p12_file", "provider_id")
    def _check_backend(self):
        for rec in self:
            if rec.backend == "pkcs11" and not (rec.pkcs11_module and rec.pkcs11_token_label):
                raise ValidationError(_("A token certificate needs the PKCS#11 module and the "
                                        "token label."))
            if rec.backend == "remote" and not (rec.provider_id and rec.remote_user_ref):
                raise ValidationError(_("A remote certificate needs its signing service and the "
                                        "holder's user ID at the service (usually the CCCD)."))
            if rec.backend == "pkcs12":
                p12 = rec.sudo().p12_file
                if not p12:
                    raise ValidationError(
                        _("Upload the certificate file with its key (.p12/.pfx).")
                    )
                # its outer structure, readable without the password: a damaged or wrong file
                # is refused now, not taken for a wrong password at the first signing
                try:
                    check_pkcs12_file(base64.b64decode(p12))
                except HocbasoError as err:
                    raise ValidationError(lib_message(self.env, err)) from err

    def _check_may_sign_for(self, record, role, user, check_usable=True):
        """Refuse a certificate that ``user`` may not use for ``role`` on ``record``
        (``check_usable=False``: its validity and chain were checked for this batch)."""
        self.ensure_one()
        if not self:
            raise UserError(_("Choose the certificate to sign with."))
        cert = self.sudo()
        if cert.company_id != record.company_id:
            raise AccessError(_("The certificate %(cert)s is registered for %(school)s, not for "
                                "the school of this record.", cert=cert.display_name,
                                school=cert.company_id.name))
        if role == roles.ROLE_ISSUER:
            if cert.kind != "organisation":
                raise UserError(_(
                    "Records are issued with the school's organisation certificate (with its "
                    "tax code, MST); the personal certificate %(cert)s cannot issue them.",
                    cert=cert.display_name))
        else:
            if cert.kind != "personal":
                raise UserError(_("The school's organisation certificate only issues records; "
                                  "sign with your personal certificate."))
            if cert.user_id != user:
                raise AccessError(_("The certificate %(cert)s belongs to %(holder)s, not to "
                                    "you.", cert=cert.display_name, holder=cert.user_id.name))
        if not cert.active:
            raise UserError(_("The certificate %(cert)s is archived.", cert=cert.display_name))
        if check_usable:
            cert._check_usable()
