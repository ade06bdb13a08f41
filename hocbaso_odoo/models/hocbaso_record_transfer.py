"""Records received from another school (chuyển trường), paper extracts, and the trust helpers.

A record signed by another school is never turned into a hocbaso.record of this school: it is
kept, read-only, as a hocbaso.record.transfer holding the signed XML exactly as received.
"""

import base64
import datetime as dt
import io
import json
import zipfile


from odoo import _, _lt, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from hocbaso import roles, timeutil, validation
from hocbaso import verify as hb_verify
from hocbaso.verify_report import VerificationReport

from ..tools import lib_text

PUBLISHED_STATES = ("issued", "revoked", "superseded")
TRANSFER_BUNDLE_FORMAT = "hocbaso-transfer-1"


def vn_time(moment):
    """A time as the record prints it: a datetime (aware, or naive UTC as Odoo keeps them) on
    the school's clock, dd/mm/yyyy HH:MM; a date dd/mm/yyyy; nothing for no value."""
    if not moment:
        return ""
    if isinstance(moment, dt.datetime):
        return timeutil.vn_datetime(moment, seconds=False)
    return timeutil.vn_date(moment)


def reader_time(env, moment):
    """A time for a screen: on the school's clock, HH:MM, the day as the reader's language
    writes dates (as Odoo's own date fields beside it do: 06/12/2026 in Vietnamese, 12/06/2026
    in Odoo's English unless the school changed its format); :func:`vn_time` without an
    environment. The printed record keeps vn_time."""
    if env is None or not moment:
        return vn_time(moment)
    if isinstance(moment, dt.datetime):
        local = timeutil.to_vn(moment)
        return f"{format_date(env, local.date())} {local:%H:%M}"
    return format_date(env, moment)


def _subject_name(env, code, subject_names):
    if code in (subject_names or {}):
        return subject_names[code]
    if env is not None and code:
        subject = env["hocbaso.subject"].sudo().search([("code", "=", code)], limit=1)
        if subject:
            return subject.with_context(lang=env.lang).name
    return code


# who signs each slot, in words (the slots are hocbaso.signing.xmldsig's roles)
ROLE_WORDS = {"gvcn": _lt("Homeroom teacher"), "cbql": _lt("School leadership"),
              "phathanh": _lt("Issuing school"), "gvbm": _lt("Subject teacher")}
SUBJECT_TEACHER_OF = _lt("Subject teacher – %(subject)s")
# a signature's trusted timestamp (RFC 3161), in words
PROVEN_BY = _lt("%(time)s, by %(authority)s")
NO_TIMESTAMP = _lt("No trusted timestamp")


def signature_role_label(env, role, subject_code="", subject_names=None):
    """Who signed a slot, in words of the reader's language (no codes): "Subject teacher –
    Mathematics", "Homeroom teacher", "School leadership", "Issuing school"."""
    lang = (env.lang if env is not None else None) or "en_US"
    if role == "gvbm" and subject_code:
        subject = _subject_name(env, subject_code, subject_names)
        return SUBJECT_TEACHER_OF._translate(lang) % {"subject": subject}
    word = ROLE_WORDS.get(role)
    return word._translate(lang) if word else role


def signature_rows(report, trusted, env=None, subject_names=None):
    """The rows of a signature report, one per signature: the single builder behind the parent
    portal, the public verification page, the verification wizard and a transfer's summary.

    Each row: role (label in words), signer, time (the time the signer claims, as
    :func:`reader_time` writes it), proven_time (the time a trusted timestamp proves, same
    form, or ""), authority (the time-stamping authority's name), timestamp (the two in words,
    or "No trusted timestamp"), certificate_subject, status ('valid', 'invalid' or
    'not_checked' without a trust list), valid (bool) and reasons (the problems, in the
    language of ``env`` when given).
    """
    lang = (env.lang if env is not None else None) or "en_US"
    rows = []
    for sig in report.signatures:
        proven = reader_time(env, sig.timestamp_time) if sig.timestamp_proven else ""
        stamp = PROVEN_BY._translate(lang) % {"time": proven,
                                              "authority": sig.timestamp_authority} \
            if proven else NO_TIMESTAMP._translate(lang)
        reasons = [lib_text(env, error) if env is not None else str(error) for error in sig.errors]
        if trusted:
            status = "valid" if sig.valid else "invalid"
        else:
            status = "not_checked"
        rows.append(
            {
                "role": signature_role_label(env, sig.role, sig.subject_code, subject_names),
                "signer": sig.signer_name or sig.certificate_subject,
                "time": reader_time(env, sig.signing_time),
                "proven_time": proven,
                "authority": sig.timestamp_authority if proven else "",
                "timestamp": stamp,
                # the holder's ID numbers masked: the inspector, a parent, anyone at the public
                # page reads who signed, not the CCCD
                "certificate_subject": validation.mask_personal_ids(sig.certificate_subject),
                "chain": lib_text(env, sig.chain_result)
                if env is not None
                else str(sig.chain_result or ""),
                "status": status,
                "valid": bool(trusted and sig.valid),
                "reasons": reasons if trusted else [],
            }
        )
    return rows


def missing_labels(report, env=None, subject_names=None):
    """The signatures a report still misses, in words (subject names, no slot codes)."""
    by_template = {role.label.template: role.code for role in roles.ROLES}
    labels = []
    for label in report.missing:
        params = label.params
        role = roles.ROLE_GVBM if "subject" in params else by_template.get(label.template)
        if role:
            labels.append(signature_role_label(env, role, params.get("subject", ""), subject_names))
        else:
            labels.append(lib_text(env, label) if env is not None else str(label))
    return labels


def summarise_report(report, env, trusted=True):
    """A plain-text summary of a VerificationReport in the language of ``env``: the signature
    rows, times on the school's clock."""
    lines = [env._("Valid") if report.valid else env._("NOT valid"),
             env._("Document intact: yes") if report.intact else env._("Document intact: no")]
    for row in signature_rows(report, trusted, env):
        lines.append("- %s: %s, %s, %s (%s)" % (
            row["role"], row["signer"] or "?", row["time"] or "-",
            env._("valid") if row["valid"] else env._("INVALID"), row["timestamp"]))
        lines.extend("    %s" % reason for reason in row["reasons"])
    for label in missing_labels(report, env):
        lines.append(env._("Missing: %(signature)s", signature=label))
    for err in report.errors:
        lines.append(env._("Error: %(problem)s", problem=lib_text(env, err)))
    return "\n".join(lines)


def report_problems(report, env=None):
    """The reasons a report is not valid, as one short text; with ``env``, in the user's
    language (the report's problems and role labels are Problems)."""
    def text(problem):
        return lib_text(env, problem) if env is not None else problem

    problems = [text(problem) for problem in report.errors]
    for sig in report.signatures:
        role = signature_role_label(env, sig.role, sig.subject_code)
        problems.extend("%s: %s" % (role, text(err)) for err in sig.errors)
    if not problems and not report.valid:
        problems.append("The signatures could not be confirmed.")
    return "; ".join(dict.fromkeys(problems))


class HocbasoRecordTransfer(models.Model):
    """A signed record received from another school; kept exactly as received, read-only."""

    _name = "hocbaso.record.transfer"
    _description = "Record Received by Transfer"
    _order = "student_id, school_year desc, version desc"
    _check_company_auto = True
    _rec_name = "name"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", string="School", required=True, readonly=True,
                                 default=lambda self: self.env.company, index=True)
    student_id = fields.Many2one("hocbaso.student", required=True, readonly=True,
                                 check_company=True, index=True, ondelete="restrict")
    school_year = fields.Char(required=True, readonly=True)
    class_name = fields.Char(string="Class", readonly=True)
    source_school_name = fields.Char(string="Source School", readonly=True)
    source_school_code = fields.Char(readonly=True)
    record_uuid = fields.Char(string="Record ID", required=True, readonly=True, index=True)
    version = fields.Integer(required=True, readonly=True)
    document_status = fields.Selection([("valid", "Valid"), ("revoked", "Revoked")],
                                       string="Status in the Document", readonly=True)
    is_extract = fields.Boolean(string="Digitised from Paper", readonly=True)
    xml_document = fields.Binary(string="Signed Record XML", attachment=True, readonly=True)
    xml_filename = fields.Char(readonly=True)
    xml_sha256 = fields.Char(string="XML SHA-256", readonly=True)
    verification_valid = fields.Boolean(string="Signatures Valid", readonly=True)
    verification_data = fields.Json(readonly=True, help="The report of the verification made "
                                    "at import, kept as data to be shown in the reader's language.")
    verification_summary = fields.Text(compute="_compute_verification_summary")
    imported_on = fields.Datetime(readonly=True, default=fields.Datetime.now)
    imported_by = fields.Many2one("res.users", readonly=True, default=lambda self: self.env.user)

    _sql_constraints = [
        ("uuid_version_company_unique", "UNIQUE(company_id, record_uuid, version)",
         "This version of the record has already been imported."),
    ]

    @api.depends("student_id.name", "school_year", "version", "source_school_name")
    def _compute_name(self):
        for transfer in self:
            transfer.name = "%s – %s v%s (%s)" % (
                transfer.student_id.name or "",
                transfer.school_year or "",
                transfer.version,
                transfer.source_school_name or "",
            )

    @api.depends("verification_data")
    @api.depends_context("lang")
    def _compute_verification_summary(self):
        for transfer in self:
            data = transfer.verification_data
            transfer.verification_summary = summarise_report(
                VerificationReport.from_data(data), self.env) if data else False

    def write(self, vals):
        if not self.env.su:
            raise UserError(_("A record received from another school is kept as received and "
                              "cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("A record received from another school is kept for good and cannot be "
                          "deleted."))

    def _get_xml(self):
        self.ensure_one()
        return base64.b64decode(self.xml_document) if self.xml_document else b""

    def action_download_xml(self):
        self.ensure_one()
        self.env["hocbaso.access.log"]._log("download_xml", transfers=self)
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/xml_document/{self.xml_filename}"
                   "?download=true",
        }

    # --- trust: the CAs signatures must chain to --------------------------------------------
    @api.model
    def _hocbaso_trust_anchors(self, company=None):
        """(roots, intermediates, crls) signatures must chain to, those of ``company`` (of
        every school when None), or None when this database keeps no trust list. The core
        keeps none: the sign addon, which holds the trusted CAs, overrides this hook.

        None means signatures can be read but not confirmed, and imports are refused.
        """
        return None

    @api.model
    def _hocbaso_verify(self, data, is_package=False, company=None):
        """Verify a record XML or a package against the trust list of ``company`` (every
        school's when None): (report, trusted) where trusted says whether a trust list was
        available (without one, no signature can be confirmed)."""
        anchors = self._hocbaso_trust_anchors(company)
        roots, intermediates, crls = anchors if anchors is not None else ([], [], [])
        func = hb_verify.verify_package if is_package else hb_verify.verify_document
        return func(data, list(roots), list(intermediates), list(crls)), anchors is not None


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    def _hocbaso_signature_report(self):
        """(report, trusted) for the stored XML."""
        self.ensure_one()
        xml = self.sudo()._get_xml()
        if not xml:
            return None, False
        return self.env["hocbaso.record.transfer"]._hocbaso_verify(xml, company=self.company_id)

    def _hocbaso_package_bytes(self):
        """The signed package (zip) of this record."""
        self.ensure_one()
        return self._build_package()

    def _hocbaso_package_filename(self):
        self.ensure_one()
        return self.sudo().xml_filename.rsplit(".", 1)[0] + ".zip"

    def _hocbaso_pdf_report(self):
        return self.env.ref("hocbaso_odoo.report_hocbaso_record", raise_if_not_found=False)


class HocbasoStudent(models.Model):
    _inherit = "hocbaso.student"

    transfer_ids = fields.One2many("hocbaso.record.transfer", "student_id",
                                   string="Records from Other Schools")

    def _transfer_records(self):
        self.ensure_one()
        return self.env["hocbaso.record"].search(
            [("student_id", "=", self.id), ("state", "in", PUBLISHED_STATES)],
            order="school_year_id, version")

    def _build_transfer_bundle(self):
        """One zip: every issued version as a signed package, the study history and a manifest."""
        self.ensure_one()
        records = self._transfer_records().filtered("xml_document")
        if not records:
            raise UserError(_("%(student)s has no issued record to transfer.", student=self.name))
        buffer = io.BytesIO()
        packages = []
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for record in records:
                name = "packages/" + record._hocbaso_package_filename()
                archive.writestr(name, record._hocbaso_package_bytes())
                packages.append(
                    {
                        "file": name,
                        "record_uuid": record.record_uuid,
                        "version": record.version,
                        "school_year": record.school_year_id.name,
                        "state": record.state,
                    }
                )
            history = [
                {
                    "school_year": h.school_year,
                    "class_name": h.class_name or "",
                    "school_name": h.school_name or "",
                    "province_name": h.province_name or "",
                    "transfer_in_date": fields.Date.to_string(h.transfer_in_date)
                    if h.transfer_in_date
                    else "",
                }
                for h in self.history_ids
            ]
            archive.writestr(
                "study_history.json", json.dumps(history, ensure_ascii=False, indent=1)
            )
            archive.writestr("manifest.json", json.dumps({
                "format": TRANSFER_BUNDLE_FORMAT, "student": self.name,
                "personal_id": self.personal_id, "school": self.company_id.name,
                "school_code": self.company_id.hocbaso_school_code or "",
                "exported_on": fields.Datetime.to_string(fields.Datetime.now()),
                "packages": packages,
            }, ensure_ascii=False, indent=1))
        return buffer.getvalue(), records

    def action_transfer_out(self):
        """Export the student's signed records for the new school (chuyển trường đi)."""
        self.ensure_one()
        self.check_access("read")
        if not (self.env.user.has_group("hocbaso_odoo.group_school_admin")
                or self.env.user.has_group("hocbaso_odoo.group_issuer")):
            raise UserError(
                _(
                    "Only the school administrator or the issuer can transfer a student's "
                    "records out."
                )
            )
        data, records = self._build_transfer_bundle()
        filename = "chuyen_truong_%s.zip" % self.personal_id
        attachment = self.env["ir.attachment"].sudo().create({
            "name": filename, "raw": data, "mimetype": "application/zip",
            "res_model": self._name, "res_id": self.id,
        })
        records._log_access("transfer_export", detail=filename)
        self.message_post(body=_("Records exported for a transfer to another school (%(count)s "
                                 "version(s)).", count=len(records)))
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true",
                "target": "self"}
