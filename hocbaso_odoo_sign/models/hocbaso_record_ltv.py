"""Validation data kept in the issued record (XAdES-LT) and archive timestamps (XAdES-A).

At issuance, once the issuer's signature and its timestamp are in, the record keeps every
signer's and TSA's certificate path and revocation status (the school's OCSP responder first,
the trusted CAs' CRLs otherwise), then gets a first archive timestamp from the school's TSA.
A daily job renews the archive timestamp before the newest one's TSA certificate or algorithm
ages out. Only the issuer signature's unsigned properties grow: nothing signed changes.

Issuance is never blocked by this: when the data cannot be gathered the record is issued as
signed and its history says why; the daily job tries again (validation data must come before
the first archive timestamp, so none is added to a record still missing its data)."""

import base64
import datetime as dt
import logging

from odoo import api, fields, models

from hocbaso import pdfltv
from hocbaso.signing import archive, concurrent, ltv
from hocbaso.signing.ocsp import OcspClient

from odoo.addons.hocbaso_odoo.models.hocbaso_record_transfer import vn_time
from odoo.addons.hocbaso_odoo.tools import lib_message, workflow

from ..tools import trust_material, tsa_client
from ..tools.timestamps import DEFAULT_TSA_TIMEOUT

_logger = logging.getLogger(__name__)

ARCHIVE_MARGIN_DAYS = 180  # renew this long before the newest archive timestamp ages out
ARCHIVE_BATCH = 200  # records looked at per run of the daily job


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    archive_checked_at = fields.Datetime(
        string="Archive Timestamp Checked", readonly=True, copy=False,
        help="When the daily job last looked whether this issued record's archive timestamp "
             "must be renewed.")

    # --- the school's material -------------------------------------------------------------
    def _ltv_collector(self, company):
        """A Collector with the school's trusted CAs and CRLs, asking its OCSP responder first
        when it set one."""
        company = company.sudo()
        roots, intermediates, crls = trust_material(self.env, company)
        url = (company.hocbaso_ocsp_url or "").strip()
        responder = OcspClient(url, timeout=company.hocbaso_tsa_timeout or DEFAULT_TSA_TIMEOUT) \
            if url else None
        return ltv.Collector(roots, intermediates, crls, ocsp_client=responder)

    # --- at issuance -----------------------------------------------------------------------
    def _on_issued(self):
        """Keep the validation data and the first archive timestamp in each issued document
        before the later hooks (the CSDL outbox) read it. The records' questions to the
        responder and the authority are asked side by side (hocbaso.signing.concurrent)."""
        for company, records in self.filtered(
                lambda record: record.state == "issued").grouped("company_id").items():
            collector = self._ltv_collector(company)
            client = tsa_client(self.env, company)
            outcomes = concurrent.each(
                [record._get_xml() for record in records],
                lambda xml: archive.keep_for_archive(xml, collector, client),
                at_once=concurrent.AT_ONCE if client or collector.ocsp_client else 1)
            for record, outcome in zip(records, outcomes):
                if isinstance(outcome, Exception):
                    raise outcome
                _changed, note = record._keep_archive_work(outcome, collector)
                if note:
                    record.sudo()._log_note_batch(note)
        return super()._on_issued()

    def _keep_for_archive(self, collector, client):
        """Add the validation data (when missing) and, with a TSA, an archive timestamp to the
        issued document; returns (whether the document changed, the note for its history or
        None). Never raises for what the outside answers: the note says why."""
        self.ensure_one()
        work = archive.keep_for_archive(self._get_xml(), collector, client)
        return self._keep_archive_work(work, collector)

    def _keep_archive_work(self, work, collector):
        """Keep what :func:`hocbaso.signing.archive.keep_for_archive` gave for this record:
        (whether the document changed, the note for its history or None)."""
        if work.data_error is not None:
            return False, self.env._(
                "The validation data (certificate chains and revocation status) could not "
                "be kept in the issued record: %(problem)s The record is issued; the "
                "daily job will try again.", problem=lib_message(self.env, work.data_error))
        if work.data_added:
            self._keep_pdf_validation_data(collector)
        note = None
        if work.stamp_error is not None:
            note = self.env._(
                "No archive timestamp could be obtained: %(problem)s The daily job will "
                "try again.", problem=lib_message(self.env, work.stamp_error))
        elif work.stamp is not None:
            note = self.env._(
                "Archive timestamp added by %(authority)s (%(time)s): the record's "
                "signatures stay provable after the certificates expire.",
                authority=work.stamp.tsa_name, time=vn_time(work.stamp.gen_time))
        changed = work.xml is not None
        if changed:
            self._store_xml(work.xml)
        return changed, note

    def _keep_pdf_validation_data(self, collector):
        """The certified PDF of a record whose validation data could not be gathered at
        issuance (a responder down) gets it with the XML's, when the daily job gathers it."""
        pdf = self._hocbaso_kept_pdf()  # None unless issued with a certified PDF
        if not pdf or pdfltv.kept_validation_data(pdf) or self._pdf_timestamp_url() is None:
            return
        kept = self._pdf_with_validation_data(pdf, collector)
        if kept != pdf:
            with workflow(self.env):
                self.sudo().write({"signed_pdf": base64.b64encode(kept)})

    # --- the daily job ---------------------------------------------------------------------
    @api.model
    def _cron_renew_archive_timestamps(self, margin_days=ARCHIVE_MARGIN_DAYS,
                                       limit=ARCHIVE_BATCH):
        """Look at up to ``limit`` issued records, those looked at longest ago first: keep the
        validation data still missing, and renew the archive timestamp of those whose newest
        one ages out within ``margin_days``. Returns the number of records changed."""
        records = self.sudo().search([("state", "=", "issued"), ("xml_sha256", "!=", False)],
                                     order="archive_checked_at asc nulls first, id",
                                     limit=limit)
        now = fields.Datetime.now()
        moment = now.replace(tzinfo=dt.timezone.utc)
        margin = dt.timedelta(days=margin_days)
        changed = 0
        for company, group in records.grouped("company_id").items():
            client = tsa_client(self.env, company)
            collector = self._ltv_collector(company)
            for record in group:
                xml = record._get_xml()
                signed, kept = archive.kept_state(xml) if xml else (False, False)
                due = signed and (not kept or (
                    client is not None and archive.archive_due(xml, moment, margin)))
                if due:
                    done, note = record._keep_for_archive(collector, client)
                    if done:  # a failure waits for the next run, without a note each day
                        changed += 1
                        record._log_note_batch(note or record.env._(
                            "Validation data kept in the issued record."))
                    elif note:
                        _logger.warning("Record %s kept for archive: %s", record.id, note)
                with workflow(self.env):
                    record.write({"archive_checked_at": now})
        return changed
