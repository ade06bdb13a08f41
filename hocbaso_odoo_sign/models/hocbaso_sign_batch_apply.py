"""Applying a batch's answers: each signature value checked against the certificate and the
exact SignedInfo it was prepared for, then written with the other records' in one go.

A record may have moved on since the batch was prepared (another teacher signed another
subject of it, say). Its signature is then prepared again on the current document with the
same signing time and certificate: if the SignedInfo is byte for byte the one the signer
approved, the value signs this document too and is written; if not (the results it covers
changed, the record was rebuilt or moved to another step) the item is refused and listed.
"""

import base64
import binascii
import collections
import hashlib
import json
import logging

from odoo import models, _
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso.errors import HocbasoError, TimestampError
from hocbaso.signing import concurrent
from hocbaso.signing import timestamp as T
from hocbaso.signing import xmldsig as X
from hocbaso.signing.dsig_primitives import parse_record

from odoo.addons.hocbaso_odoo.tools import lib_message

from ..tools import trust_material
from .hocbaso_sign_batch import FINAL_STATES

_logger = logging.getLogger(__name__)

#: a signature value (RSA 4096: 512 bytes; ECDSA P-521 DER: 139): anything much longer is junk
MAX_SIGNATURE_BYTES = 1024
MAX_TIMESTAMP_BYTES = 16384


class HocbasoSignBatch(models.Model):
    _inherit = "hocbaso.sign.batch"

    def _apply(self, signatures, timestamps=None):
        """Apply ``signatures`` {doc_id: signature bytes} to the batch's pending items.

        Idempotent: a signed item is never applied again; doc_ids the batch never sent are
        ignored and counted. Returns {"signed", "refused", "already", "unknown", "pending"}.
        """
        self.ensure_one()
        counts = collections.Counter(signed=0, refused=0, already=0, unknown=0)
        if not isinstance(signatures, dict):
            raise UserError(_("The signatures were sent in a wrong form; nothing was signed."))
        batch = self.sudo()
        # one apply at a time per batch (the webhook and the poll may answer together)
        self.env.cr.execute("SELECT id FROM hocbaso_sign_batch WHERE id = %s FOR UPDATE",
                            [batch.id])
        batch.invalidate_recordset()
        batch.item_ids.invalidate_recordset()
        by_doc = {item.doc_id: item for item in batch.item_ids if item.doc_id}
        wanted = {}
        for doc_id, value in signatures.items():
            item = by_doc.get(doc_id) if isinstance(doc_id, str) else None
            if item is None:
                counts["unknown"] += 1
            elif item.state == "signed":
                counts["already"] += 1
            elif batch.state in FINAL_STATES or item.state != "pending" and \
                    item.state != "error":
                counts["refused"] += 1
            elif not isinstance(value, bytes) or not 0 < len(value) <= MAX_SIGNATURE_BYTES:
                item.write({"state": "error", "message": _(
                    "The answer for %(doc)s is not a signature value.", doc=doc_id)})
                counts["refused"] += 1
            else:
                wanted[item] = value
        if counts["unknown"]:
            batch.unknown_count += counts["unknown"]
            _logger.warning("Signing batch %s: %s answers for document codes it never sent",
                            batch.id, counts["unknown"])
        # a batch certifying issued records' PDFs (hocbaso_sign_batch_pdf.py) holds PDF items
        pdfs = {item: value for item, value in wanted.items() if item.kind == "pdf"}
        slots = {item: value for item, value in wanted.items() if item.kind != "pdf"}
        outcomes = []
        if pdfs:
            outcomes.append(self._apply_pdf_values(pdfs))
        if slots:
            outcomes.append(self._apply_values(slots, timestamps or {}))
        for signed, refused in outcomes:
            counts["signed"] += signed
            counts["refused"] += refused
        counts["pending"] = batch.pending_count
        batch._write_summary()
        return dict(counts)

    def _apply_values(self, wanted, timestamps):
        """Check and write the values of ``wanted`` {item: bytes}; (signed, refused)."""
        batch = self.sudo()
        user = batch.user_id
        env = self.env(user=user, context=dict(self.env.context, lang=user.lang))
        certificate = batch.certificate_id.with_env(env)
        items_by_record = collections.defaultdict(list)
        for item in sorted(wanted, key=lambda item: item.sequence):
            items_by_record[item.record_id.id].append(item)
        records = env["hocbaso.record"].browse(list(items_by_record))
        try:
            certificate.sudo()._check_usable()
        except ValidationError as err:
            self._refuse_items(list(wanted), err.args[0])
            return 0, len(wanted)
        stamper = records._stamper()
        trust = (stamper.client.trusted, stamper.client.intermediates, stamper.client.crls) \
            if stamper.client else trust_material(env, records[:1].company_id)
        records._lock_for_signing()
        done = {X.ROLE_GVBM: [], "other": []}
        outcome = {}  # item -> (state, message)
        x509_cert = certificate._x509()
        ready = []
        for record in records:
            items = items_by_record[record.id]
            try:
                complete = self._completion(record, items, wanted, user, certificate,
                                            x509_cert, (timestamps, trust))
            except _REFUSALS as err:
                outcome.update({item: ("refused", _refusal(env, err)) for item in items})
                continue
            ready.append((record, items, complete))
        # the records completed side by side while their timestamps are on the way; in the
        # threads only the library and the authority, no environment
        results = concurrent.each([complete for _record, _items, complete in ready],
                                  stamper.sign,
                                  at_once=concurrent.AT_ONCE if stamper.stamp else 1)
        for (record, items, _complete), result in zip(ready, results):
            try:
                if isinstance(result, _Changed):
                    raise UserError(self._changed_text(record))
                xml, made = record._stamped_result(stamper, result)
            except _REFUSALS as err:
                outcome.update({item: ("refused", _refusal(env, err)) for item in items})
                continue
            slot = X.ROLE_GVBM if items[0].role == X.ROLE_GVBM else "other"
            done[slot].append((record, xml, made, items))
        for slot, entries in done.items():
            if not entries:
                continue
            role = X.ROLE_GVBM if slot == X.ROLE_GVBM else batch.role
            moment = records._pending_time(entries[0][2][0])
            records._finish_signing_batch(role, [(record, xml, made)
                                                 for record, xml, made, _items in entries],
                                          certificate, user, moment)
            for _record, _xml, _made, items in entries:
                outcome.update({item: ("signed", False) for item in items})
            records.browse([entry[0].id for entry in entries])._note_unstamped(
                stamper, author=user)
        for (state, message), items in _group(outcome).items():
            self.env["hocbaso.sign.batch.item"].sudo().browse(
                [item.id for item in items]).write({"state": state, "message": message})
        signed = sum(1 for state, _message in outcome.values() if state == "signed")
        return signed, len(outcome) - signed

    def _completion(self, record, items, wanted, user, certificate, x509_cert, stamping):
        """``complete(timestamp=None)`` -> (document, signatures made) for one record, once
        every value of ``items`` is in, each signature timestamped right after it is
        completed; it touches no environment (the run's records are completed side by side)
        and raises _Changed when the record moved on. The checks that need the database are
        made here. ``stamping``: (the provider's tokens {doc_id: bytes}, the trust material
        they must chain to)."""
        tokens, trust = stamping
        codes = [item.subject_code for item in items if item.subject_code]
        role = items[0].role
        record._check_signer(role, user, certificate, codes or None, check_certificate=False)
        if any(item.record_version != record.version for item in items):
            raise UserError(self._changed_text(record))
        steps = []
        for item in items:
            pending = X.PendingSignature.from_dict(json.loads(item.pending_json))
            if pending.certificate != x509_cert or pending.role != item.role or \
                    pending.subject_code != (item.subject_code or None):
                raise UserError(_("The pending signature was made for another certificate."))
            steps.append((pending, record._pending_time(pending), item.base_sha256,
                          wanted[item], tokens.get(item.doc_id)))
        document = record._get_xml()

        def complete(timestamp=None):
            xml = document
            made = []
            for pending, moment, base_sha256, value, token in steps:
                if hashlib.sha256(xml).hexdigest() != base_sha256 or made:
                    again = X.prepare_signature(xml, pending.role, x509_cert,
                                                pending.subject_code, signing_time=moment)
                    if again.signed_info_c14n != pending.signed_info_c14n:
                        raise _Changed()
                    pending = again
                xml = X.complete_signature(pending, value)
                xml = self._timestamp_completed(xml, pending.signature_id, token, trust,
                                                timestamp)
                made.append(pending)
            return xml, made

        return complete

    def _timestamp_completed(self, xml, signature_id, token, trust, stamp):
        """``xml`` with signature ``signature_id`` timestamped: the provider's ``token`` kept
        when it checks out (over this signature's value, from an authority the school
        trusts), else one from the school's authority (``stamp``; None: left without)."""
        if token:
            try:
                return T.add_signature_timestamp(xml, signature_id, token, *trust)
            except TimestampError as err:
                _logger.info("Signing batch %s: the provider's timestamp for %s was not kept "
                             "(%s)", self.id, signature_id, err.message)
        if stamp is None:
            return xml
        signature = [sig for sig in parse_record(xml).iter(X.ds("Signature"))
                     if sig.get("Id") == signature_id][0]
        return T.add_signature_timestamp(xml, signature_id,
                                         stamp(T.signature_value_digest(signature)), *trust)

    def _changed_text(self, record):
        return _("%(record)s changed while waiting for the signature (its results were "
                 "changed or someone else signed it). Start this signature again.",
                 record=record.display_name)

    def _refuse_items(self, items, message):
        self.env["hocbaso.sign.batch.item"].sudo().browse([item.id for item in items]).write(
            {"state": "refused", "message": message})

    # --- the agent channel ---------------------------------------------------------------
    def action_agent_complete(self, signatures):
        """The user's local agent answers: ``signatures`` is [{doc_id, signature (base64)}].

        Everything in it is untrusted: its form and sizes are checked before any value is
        tried; a value is written only once it verifies. Closes the batch.
        Returns {"summary", "signed", "skipped", "failed", "follow_up"}.
        """
        if len(self) != 1:
            raise UserError(_("Answer one signing batch at a time."))
        self._check_owner()
        batch = self.sudo()
        if batch.channel != "agent":
            raise UserError(_("This signing batch is not signed by a token on your "
                              "computer."))
        if batch.state in FINAL_STATES:
            raise UserError(_("The signing batch %(batch)s is %(state)s already.",
                              batch=batch.id, state=batch._state_label()))
        values = self._agent_values(signatures, len(batch.item_ids))
        self._apply(values)
        pending = batch.item_ids.filtered(lambda item: item.state == "pending")
        pending.write({"state": "error",
                       "message": _("The token returned no signature for this document.")})
        batch._finalize()
        return {"summary": batch.summary, "signed": batch.signed_count,
                "skipped": batch.skipped_count, "failed": batch.failed_count,
                "follow_up": batch.follow_up}

    def _agent_values(self, signatures, limit):
        """{doc_id: bytes} from the browser's list, or a Vietnamese refusal (nothing written)."""
        if not isinstance(signatures, list) or len(signatures) > 2 * limit + 10:
            raise UserError(_("The answer of the signing agent is not a list of signatures "
                              "of this batch; nothing was signed."))
        values = {}
        for entry in signatures:
            if not isinstance(entry, dict) or not isinstance(entry.get("doc_id"), str) or \
                    not isinstance(entry.get("signature"), str) or \
                    len(entry["doc_id"]) > 64 or \
                    len(entry["signature"]) > MAX_SIGNATURE_BYTES * 2:
                raise UserError(_("The answer of the signing agent is malformed; nothing was "
                                  "signed."))
            try:
                value = base64.b64decode(entry["signature"], validate=True)
            except (binascii.Error, ValueError):
                raise UserError(_("The signature for %(doc)s is not valid base64; nothing was "
                                  "signed.", doc=entry["doc_id"][:64])) from None
            if entry["doc_id"] in values:
                raise UserError(_("The signing agent answered twice for %(doc)s; nothing was "
                                  "signed.", doc=entry["doc_id"][:64]))
            values[entry["doc_id"]] = value
        return values


#: what refuses a record's items (the others of the batch go on)
_REFUSALS = (UserError, AccessError, ValidationError, HocbasoError)


def _refusal(env, error):
    """The message a record's items are refused with, in the signer's language."""
    return lib_message(env, error) if isinstance(error, HocbasoError) else error.args[0]


class _Changed(Exception):
    """The record moved on since the batch was prepared: the SignedInfo the signer approved
    no longer signs it (told in the user's language once back from the threads)."""


def _group(outcome):
    grouped = collections.defaultdict(list)
    for item, result in outcome.items():
        grouped[result].append(item)
    return grouped
