"""The printed record certified by the school (PAdES) at issuance, kept with the version.

The organisation key's PIN or password is never stored, so the PDF is signed when the issuer
has it in hand: in the same signing session that issues the records (``_sign_batch`` calls
``_sign_issued_pdfs`` with the open key). An issued version never changes, so its certified
PDF stays valid and is what printing, the portal and the record package serve from then on.
A revoked or superseded version is printed anew (with its watermark), unsigned.

Records issued through a remote signing service get their PDF certified by a second batch of
the issuer (hocbaso_sign_batch_pdf.py); *Certify Printed PDF* opens one again for records
whose PDF was left unsigned."""

import base64
import logging

from cryptography import x509

from odoo import fields, models
from odoo.exceptions import UserError

from hocbaso import pdfltv, pdfsign
from hocbaso.errors import HocbasoError
from hocbaso.signing import concurrent
from hocbaso.signing import xmldsig as X

from odoo.addons.hocbaso_odoo.tools import lib_message, workflow

_logger = logging.getLogger(__name__)

# the reason a PDF reader shows beside the signature: the record is Vietnamese by law, its
# printed words too (see hocbaso_odoo/report/hocbaso_record_report.xml)
PDF_REASON = "Phát hành học bạ"


def pdf_location(company):
    """Where a PDF reader says the school signed: the place its records print before their
    date, else the school's name."""
    return company._hocbaso_issue_place() or company.name or ""


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    signed_pdf = fields.Binary(
        string="Certified PDF", attachment=True, readonly=True, copy=False,
        help="The printed record as issued, with the signed record XML attached, certified "
             "with the school's organisation certificate: any PDF reader shows who signed it "
             "and whether it was changed since.")

    def _hocbaso_kept_pdf(self):
        self.ensure_one()
        if self.state == "issued":
            data = self.sudo().with_context(bin_size=False).signed_pdf
            if data:
                return base64.b64decode(data)
        return super()._hocbaso_kept_pdf()

    def _pdf_timestamp_url(self):
        """The school's time-stamping authority for the certified PDF (PAdES B-T), or None
        (baseline B: the signing time is the school's claim). The PDF signer takes a URL only:
        an authority that asks for a user name is not used for the PDF, and the PDF keeps
        baseline B (the XML record's signatures are still timestamped)."""
        self.ensure_one()
        company = self.company_id.sudo()
        if company.hocbaso_tsa_username:
            return None
        return (company.hocbaso_tsa_url or "").strip() or None

    def _pdf_signing_chain(self, certificate):
        """The CA certificates between ``certificate`` and its root, from the trusted list,
        put in the PDF's signature so a reader can build the path offline."""
        from cryptography.hazmat.primitives import serialization

        der = certificate.public_bytes(serialization.Encoding.DER)
        return [x509.load_der_x509_certificate(ca_der)
                for _name, ca_der, _subject in self._package_chain_certificates([der])]

    def _sign_issued_pdfs(self, signer, certificate_record):
        """Certify the printed PDF of these just-issued records with ``signer`` (the open key
        that issued them) and keep it. A PDF that cannot be printed or signed leaves its
        record issued as it is (the signed XML is the record; the PDF is printed unsigned) and
        says why in the record's chatter."""
        records = self.filtered(lambda record: record.state == "issued")
        if not records:
            return
        try:
            printed = records._print_pdfs()
        except (UserError, OSError) as err:
            _logger.warning("Issued records %s not printed for certification: %s",
                            records.ids, err)
            records._log_note_batch(self.env._(
                "The PDF could not be certified with the school's certificate: it could not be "
                "printed (%(problem)s). It is printed unsigned.",
                problem=err.args[0] if err.args else str(err)))
            return
        chain = self._pdf_signing_chain(signer.certificate)
        company = records.company_id[:1]
        location = pdf_location(company)
        signer = concurrent.SerialSigner(signer)
        jobs = [(printed[record.id], record._pdf_timestamp_url()) for record in records]

        def certify(job):  # in a thread: pyHanko and the authority only
            pdf, tsa_url = job
            return pdfsign.sign_pdf(pdf, signer, chain, tsa_url=tsa_url, reason=PDF_REASON,
                                    location=location)

        # each PDF's timestamp is a round trip to the authority: the PDFs wait side by side
        outcomes = concurrent.each(jobs, certify, at_once=concurrent.AT_ONCE
                                   if any(tsa_url for _pdf, tsa_url in jobs) else 1)
        collector = None
        for record, (_pdf, tsa_url), signed in zip(records, jobs, outcomes):
            if isinstance(signed, HocbasoError):
                _logger.warning("PDF of issued record %s not certified: %s", record.id, signed)
                record._log_note_batch(self.env._(
                    "The PDF could not be certified with the school's certificate: "
                    "%(problem)s It is printed unsigned.", problem=lib_message(self.env, signed)))
                continue
            if isinstance(signed, Exception):
                raise signed
            if tsa_url:  # B-LT builds on a proven time; one collector asks each status once
                collector = collector or self._ltv_collector(company)
                signed = record._pdf_with_validation_data(signed, collector)
            with workflow(self.env):
                record.sudo().write({"signed_pdf": base64.b64encode(signed)})

    def _pdf_with_validation_data(self, pdf, collector):
        """``pdf`` (certified and timestamped) with the paths and revocation status of the
        school's and the TSA's certificates kept in it (PAdES B-LT), so that a reader can still
        check it after the school's certificate expired. When they cannot be gathered the PDF
        is kept as signed (B-T) and the record's history says why."""
        self.ensure_one()
        try:
            return pdfltv.add_validation_data(pdf, collector)
        except HocbasoError as err:
            _logger.warning("PDF of issued record %s keeps no validation data: %s", self.id, err)
            self._log_note_batch(self.env._(
                "The certified PDF keeps no validation data (certificate chains and revocation "
                "status): %(problem)s It can be checked while the school's certificate is "
                "valid.", problem=lib_message(self.env, err)))
            return pdf

    def action_certify_pdf(self):
        """Certify the printed PDF of these issued records that have none (their PDF batch
        was rejected or expired), through the signing service the issuer issues with: a new
        batch to approve on the phone. Opens that batch."""
        certificate = self.env["hocbaso.sign.choice"]._last(X.ROLE_ISSUER)
        if not certificate or certificate.sudo().backend != "remote":
            raise UserError(self.env._(
                "Certify Printed PDF sends the PDF to the signing service you issue with; you "
                "have not issued records through a signing service yet."))
        if certificate.sudo().provider_id._approval() != "app":
            raise UserError(self.env._(
                "Your signing service asks for a one-time code or a PIN with each request: "
                "the printed PDF cannot be sent to it from here and stays unsigned."))
        batch = self.env["hocbaso.sign.batch"]._open_pdf_batch(self, certificate)
        return {"type": "ir.actions.act_window", "res_model": "hocbaso.sign.batch",
                "res_id": batch.id, "views": [(False, "form")], "target": "current"}
