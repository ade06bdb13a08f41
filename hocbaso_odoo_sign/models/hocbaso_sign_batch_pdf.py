"""The printed PDF of records issued through a remote signing service or a USB token at the
issuer's computer, certified with the school's organisation key in a second batch of the same
issuer.

The PDF carries the signed record XML, which exists only once the issuance batch is applied:
so when that batch closes, a batch with one item per issued record's PDF is opened: sent to
the service (another approval on the phone), or handed back to the browser with the agent's
answer (``action_agent_complete``), whose agent signs it with the PIN already typed. Only the
digest of each PDF signature's signed attributes leaves the server (hocbaso.pdfsign_deferred);
the answer is untrusted and is checked against the certificate and the kept PDF before it goes
into ``signed_pdf``. Rejected, expired or refused: the records stay issued with an unsigned
print, and their history says so (and, for a signing service, how to certify it later:
*Certify Printed PDF* on the record)."""

import base64
import hashlib
import logging

from odoo import api, fields, models, _
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso import pdfsign_deferred
from hocbaso.errors import HocbasoError
from hocbaso.signing import xmldsig as X

from odoo.addons.hocbaso_odoo.tools import lib_message, workflow

from .hocbaso_record_signed_pdf import PDF_REASON, pdf_location
from .hocbaso_sign_batch import CHANNEL_BACKEND, FINAL_STATES, ROLE_GROUPS

_logger = logging.getLogger(__name__)


class HocbasoSignBatch(models.Model):
    _inherit = "hocbaso.sign.batch"

    pdf_batch_id = fields.Many2one(
        "hocbaso.sign.batch", string="Printed PDF Batch", readonly=True, copy=False,
        help="The batch certifying the printed PDFs of the records this one issued.")

    def _is_pdf_batch(self):
        self.ensure_one()
        return any(item.kind == "pdf" for item in self.sudo().item_ids)

    def _set_batch_state(self, state, message=None):
        """A closing issuance batch opens the PDF batch of the records it issued; a closing
        PDF batch notes the PDFs it did not certify on their records."""
        before = {batch.id: batch.state for batch in self.sudo()}
        result = super()._set_batch_state(state, message)
        for batch in self.sudo():
            if batch.state not in FINAL_STATES or before[batch.id] in FINAL_STATES:
                continue
            if batch._is_pdf_batch():
                batch._note_pdfs_uncertified()
            elif batch.role == X.ROLE_ISSUER and batch.state in ("done", "partial"):
                batch._certify_issued_pdfs()
        return result

    def _user_env(self):
        user = self.sudo().user_id
        return self.env(user=user.id, context=dict(self.env.context, lang=user.lang))

    # --- opening the PDF batch -------------------------------------------------------------
    def _certify_issued_pdfs(self):
        """Open and send the PDF batch of the records this issuance batch issued. Whatever
        happens there, the issuance stands: a failure is noted on the records."""
        self.ensure_one()
        batch = self.sudo()
        records = batch.item_ids.filtered(
            lambda item: item.kind == "xml" and item.state == "signed").record_id
        records = records.filtered(lambda record: record.state == "issued"
                                   and not record.signed_pdf)
        if not records:
            return
        env = batch._user_env()
        records = records.with_env(env)
        if batch.channel == "provider" and batch.provider_id._approval() != "app":
            records.sudo()._log_note_batch(env._(
                "The printed PDF was not certified with the school's certificate: the signing "
                "service asks for a one-time code or a PIN with each request. The record stays "
                "issued and its PDF is printed unsigned."), author=batch.user_id)
            return
        try:
            with self.env.cr.savepoint():
                batch.pdf_batch_id = env["hocbaso.sign.batch"]._open_pdf_batch(
                    records, batch.certificate_id.with_env(env), batch.channel)
        except (UserError, AccessError, ValidationError, HocbasoError, OSError) as err:
            problem = lib_message(env, err) if isinstance(err, HocbasoError) else \
                (err.args[0] if err.args else str(err))
            _logger.warning("Signing batch %s: the PDF batch of records %s was not opened: %s",
                            batch.id, records.ids, problem)
            records.sudo()._log_note_batch(batch._uncertified_note(env, problem),
                                           author=batch.user_id)

    @api.model
    def _open_pdf_batch(self, records, certificate, channel="provider"):
        """A PDF batch of ``self.env.user`` for ``records`` (issued, without a certified
        PDF), prepared, then sent to the signing service of ``certificate`` or left waiting
        for the user's agent."""
        batch = self._start_pdf(records, certificate, channel)
        if batch.state == "draft":
            if channel == "provider":
                batch._submit()
            else:
                batch._set_batch_state("waiting")
        return batch

    @api.model
    def _start_pdf(self, records, certificate_record, channel="provider"):
        """Print ``records`` and prepare the certification of each PDF, in a new batch."""
        user = self.env.user
        if not user.has_group(ROLE_GROUPS[X.ROLE_ISSUER]):
            raise AccessError(_("Only the seal holder (issuer) issues records."))
        certificate = certificate_record.sudo()
        if channel not in CHANNEL_BACKEND or certificate.backend != CHANNEL_BACKEND[channel] \
                or channel == "provider" and not certificate.provider_id:
            raise UserError(_("The printed PDF is certified here with a certificate of a "
                              "signing service or of a USB token at your computer; %(cert)s "
                              "is neither.", cert=certificate.display_name))
        certificate._check_usable()
        records = records.exists().filtered(lambda record: record.state == "issued"
                                            and not record.signed_pdf)
        if not records:
            raise UserError(_("None of these records is issued without a certified PDF."))
        company = self._one_school(records, certificate)
        x509_cert = certificate._x509()
        chain = records._pdf_signing_chain(x509_cert)
        printed = records._print_pdfs()
        location = pdf_location(company)
        batch = self.sudo().create({
            "user_id": user.id, "company_id": company.id, "role": X.ROLE_ISSUER,
            "certificate_id": certificate.id, "channel": channel,
            "provider_id": certificate.provider_id.id if channel == "provider" else False,
        })
        Item = self.env["hocbaso.sign.batch.item"]
        taken, items = set(), []
        for sequence, record in enumerate(records):
            vals = {"batch_id": batch.id, "sequence": sequence, "record_id": record.id,
                    "role": X.ROLE_ISSUER, "kind": "pdf", "label": self._pdf_label(record),
                    "record_version": record.version}
            try:
                prepared, digest = pdfsign_deferred.prepare(
                    printed[record.id], x509_cert, chain, reason=PDF_REASON,
                    location=location, tsa_url=record._pdf_timestamp_url())
            except HocbasoError as err:
                vals.update(state="error", message=lib_message(self.env, err))
            else:
                vals.update(doc_id=Item._doc_id_for(record, None, "pdf", taken),
                            pending_json=prepared.to_json(),
                            base_sha256=hashlib.sha256(record._get_xml()).hexdigest(),
                            digest=base64.b64encode(digest).decode())
            items.append(vals)
        Item.sudo().create(items)
        if not batch.pending_count:
            batch._set_batch_state("failed", _("No printed PDF could be prepared for "
                                               "signing."))
        else:
            batch._write_summary()
        return batch.with_env(self.env)

    @api.model
    def _pdf_label(self, record):
        return _("Printed PDF — %(student)s, class %(klass)s", student=record.student_id.name,
                 klass=record.class_id.name)

    # --- the answers -----------------------------------------------------------------------
    def _apply_pdf_values(self, wanted):
        """Check and keep the PDF signatures of ``wanted`` {item: bytes}; (signed, refused).
        A value is embedded only once it verifies against the certificate and the digest of
        the kept PDF; the record must still be the issued version the PDF was printed from."""
        batch = self.sudo()
        env = batch._user_env()
        certificate = batch.certificate_id
        try:
            certificate._check_usable()
        except ValidationError as err:
            self._refuse_items(list(wanted), err.args[0])
            return 0, len(wanted)
        x509_cert = certificate._x509()
        signed = refused = 0
        collector = None
        for item in sorted(wanted, key=lambda item: item.sequence):
            record = item.record_id.with_env(env).sudo()
            try:
                if record.state != "issued" or record.version != item.record_version or \
                        hashlib.sha256(record._get_xml()).hexdigest() != item.base_sha256:
                    raise UserError(env._(
                        "%(record)s is no longer the issued version its PDF was printed from.",
                        record=record.display_name))
                if record.signed_pdf:
                    raise UserError(env._("%(record)s has its certified PDF already.",
                                          record=record.display_name))
                prepared = pdfsign_deferred.PreparedPdf.from_json(item.pending_json)
                pdf = pdfsign_deferred.finish(prepared, wanted[item], x509_cert)
                if prepared.tsa_url:  # timestamped: the validation data too (PAdES B-LT)
                    collector = collector or record._ltv_collector(record.company_id)
                    pdf = record._pdf_with_validation_data(pdf, collector)
            except UserError as err:
                item.write({"state": "refused", "message": err.args[0]})
                refused += 1
                continue
            except HocbasoError as err:
                _logger.warning("Signing batch %s: the PDF of record %s was not certified: %s",
                                batch.id, record.id, err.message)
                item.write({"state": "refused", "message": lib_message(env, err)})
                refused += 1
                continue
            with workflow(self.env):
                record.write({"signed_pdf": base64.b64encode(pdf)})
            record._log_note_batch(env._(
                "The printed PDF was certified with the school's certificate %(cert)s.",
                cert=certificate.subject_name), author=batch.user_id)
            item.write({"state": "signed", "message": False})
            signed += 1
        return signed, refused

    def _note_pdfs_uncertified(self):
        """This PDF batch closed: say on each record whose PDF it did not certify why, and
        how to certify it later."""
        self.ensure_one()
        batch = self.sudo()
        env = batch._user_env()
        for item in batch.item_ids:
            record = item.record_id.sudo()
            if item.state == "signed" or record.state != "issued" or record.signed_pdf:
                continue
            record.with_env(env).sudo()._log_note_batch(
                batch._uncertified_note(env, batch._uncertified_reason(item, env)),
                author=batch.user_id)

    def _uncertified_reason(self, item, env):
        """Why ``item`` was not signed, in the issuer's language: our own refusal, or the
        batch's end (rejected, expired: the service's words were written in the language of
        whoever polled)."""
        if item.state == "refused" and item.message:
            return item.message
        if self.state in ("rejected", "expired", "cancelled") or not item.message:
            return self.with_env(env)._state_label()
        return item.message

    def _uncertified_note(self, env, problem):
        """The records' note when this batch's PDFs stay unsigned: with a signing service,
        how to ask again."""
        if self.channel == "provider":
            return env._(
                "The printed PDF was not certified with the school's certificate (%(problem)s). "
                "The record stays issued and its PDF is printed unsigned; the issuer can "
                "certify it with Certify Printed PDF on the record.", problem=problem)
        return env._(
            "The printed PDF was not certified with the school's certificate (%(problem)s). "
            "The record stays issued and its PDF is printed unsigned.", problem=problem)

    def _write_summary(self):
        """A PDF batch that closed counts PDFs, not signatures."""
        result = super()._write_summary()
        for batch in self.sudo():
            if batch.state in ("done", "partial", "failed") and batch._is_pdf_batch():
                batch.summary = batch.env._(
                    "%(signed)s of %(total)s printed PDFs certified with the school's "
                    "certificate.", signed=batch.signed_count, total=batch.item_count)
        return result

    # --- the agent channel -----------------------------------------------------------------
    def action_agent_complete(self, signatures):
        """As the parent; an issuance that opened a PDF batch hands it back to the browser
        (``pdf_batch``: {batch_id, items, summary}) for the agent to sign next."""
        result = super().action_agent_complete(signatures)
        pdf_batch = self.sudo().pdf_batch_id
        if pdf_batch.state == "waiting":
            result["pdf_batch"] = {"batch_id": pdf_batch.id,
                                   "items": pdf_batch._items_for_signing(),
                                   "summary": pdf_batch.summary}
        return result
