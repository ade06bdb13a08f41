"""Signing a record: the server-side checks, the XML-DSig layer, the log and the state."""

import base64
import collections
import datetime as dt
import hashlib
import logging

import psycopg2.errors

from odoo import api, fields, models, _
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso.errors import HocbasoError
from hocbaso.safexml import parse_untrusted
from hocbaso.signing import xmldsig as X

from odoo.addons.hocbaso_odoo.tools import lib_message, workflow

_logger = logging.getLogger(__name__)

# role -> state the record must be in before that role signs
ROLE_FROM_STATE = {X.ROLE_GVBM: "locked", X.ROLE_GVCN: "gvbm_signed", X.ROLE_CBQL: "gvcn_signed",
                   X.ROLE_ISSUER: "leader_signed"}
ROLE_TO_STATE = {X.ROLE_GVCN: "gvcn_signed", X.ROLE_CBQL: "leader_signed",
                 X.ROLE_ISSUER: "issued"}
# the signature the document must carry before the record enters each signed state
SIGNATURE_FOR_STATE = {"gvbm_signed": X.ROLE_GVBM,
                       **{state: role for role, state in ROLE_TO_STATE.items()}}
STATE_ROLE = {state: role for role, state in ROLE_FROM_STATE.items()}


# cr.cache key: {(record id, document SHA-256): roles whose signatures this transaction made
# and verified on exactly that document}. On the cursor, out of reach of an RPC context.
VERIFIED_DOCUMENTS = "hocbaso.verified_documents"


def _utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    signature_ids = fields.One2many("hocbaso.record.signature", "record_id", string="Signatures")
    signature_count = fields.Integer(compute="_compute_signature_count")
    revocation_statement = fields.Binary(
        string="Signed Revocation Statement", attachment=True, readonly=True, copy=False,
        help="XML statement of the revocation (record, version, reason, time), signed with the "
             "school's organisation certificate by the issuer.")
    revocation_statement_filename = fields.Char(compute="_compute_revocation_filename")
    sign_role = fields.Selection(
        [(X.ROLE_GVBM, "Subject Teacher"), (X.ROLE_GVCN, "Homeroom Teacher"),
         (X.ROLE_CBQL, "School Leadership"), (X.ROLE_ISSUER, "Issuance")],
        compute="_compute_sign_role", help="Whose signature the record waits for.")

    @api.depends("signature_ids")
    def _compute_signature_count(self):
        for record in self:
            record.signature_count = len(record.signature_ids)

    def _compute_revocation_filename(self):
        for record in self:
            record.revocation_statement_filename = (
                f"thuhoi_{record.record_uuid}_v{record.version}.xml"
            )

    @api.depends("state")
    def _compute_sign_role(self):
        for record in self:
            record.sign_role = STATE_ROLE.get(record.state, False)

    # --- concurrency ---------------------------------------------------------------------
    def _lock_for_signing(self):
        """Lock the rows (NOWAIT): of two sessions signing the same record, one wins."""
        if not self.ids:
            return
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "SELECT id FROM hocbaso_record WHERE id IN %s FOR UPDATE NOWAIT",
                    [tuple(self.ids)], log_exceptions=False)
        except psycopg2.errors.LockNotAvailable:
            raise UserError(_(
                "Someone else is signing %(record)s right now. Wait a moment, reload the record "
                "and sign again if it still needs your signature.",
                record=", ".join(self.mapped("display_name")))) from None
        except psycopg2.errors.SerializationFailure:
            raise UserError(_(
                "%(record)s was changed by someone else while you were signing. Reload the "
                "record and sign again if it still needs your signature.",
                record=", ".join(self.mapped("display_name")))) from None
        # what was read before the lock may be stale: the records and their subject lines
        # (all lines of the model: reading line_ids here only to drop them from the cache
        # loaded every line twice, here and again in the checks)
        self.invalidate_recordset()
        self.env["hocbaso.record.line"].invalidate_model()

    # --- server-side checks ----------------------------------------------------------------
    def _check_signer(self, role, user, certificate, subject_codes=None, own_subjects=False,
                      check_certificate=True):
        """Refuse unless ``user`` may sign as ``role`` now with ``certificate``.

        Returns the subject codes to sign (GVBM) or [None]. With ``own_subjects`` a homeroom
        teacher (GVCN) may sign a record whose only unsigned subjects are her own: the codes of
        those subjects come first, then None for the GVCN slot. ``check_certificate=False``:
        the caller checked the certificate's validity and chain for this batch already.
        """
        self.ensure_one()
        if role not in ROLE_FROM_STATE:
            raise UserError(_("Unknown signing role %(role)s.", role=role))
        expected = ROLE_FROM_STATE[role]
        own_codes = []
        if role == X.ROLE_GVCN and own_subjects and self.state == "locked":
            own_codes = self._only_own_subjects_unsigned(user).mapped("subject_code")
            if own_codes:
                expected = "locked"
        if self.state != expected:
            raise UserError(_(
                "%(record)s is %(state)s: it cannot be signed as %(role)s now (the record must "
                "be %(expected)s). Records are signed by the subject teachers, then the homeroom "
                "teacher, then the school leadership, then issued.",
                record=self.display_name, state=self._state_label(self.state),
                role=self._role_label(role), expected=self._state_label(expected)))
        if not self._get_xml():
            raise UserError(_("%(record)s has no document to sign: lock its results first.",
                              record=self.display_name))
        codes = [None]
        if role == X.ROLE_GVBM:
            mine = self.line_ids.filtered(lambda line: line.teacher_id == user)
            if subject_codes:
                wanted = set(subject_codes)
                lines = mine.filtered(lambda line: line.subject_code in wanted)
                if len(lines) != len(wanted):
                    raise AccessError(_(
                        "You do not teach %(subjects)s in the record of %(student)s, so you "
                        "cannot sign for it.", student=self.student_id.name,
                        subjects=", ".join(sorted(wanted - set(lines.mapped("subject_code"))))))
            else:
                lines = mine.filtered(lambda line: not line.gvbm_signed)
            if not mine:
                raise AccessError(_("You are not a subject teacher of the record of %(student)s.",
                                    student=self.student_id.name))
            signed = lines.filtered("gvbm_signed")
            if signed:
                raise UserError(_("You have already signed %(subjects)s in the record of "
                                  "%(student)s.", student=self.student_id.name,
                                  subjects=", ".join(signed.mapped("subject_id.name"))))
            if not lines:
                raise UserError(_("You have already signed all your subjects in the record of "
                                  "%(student)s.", student=self.student_id.name))
            codes = lines.mapped("subject_code")
        elif role == X.ROLE_GVCN:
            homeroom = self.homeroom_teacher_id or self.class_id.homeroom_teacher_id
            if homeroom != user:
                raise AccessError(_(
                    "Only the homeroom teacher of %(klass)s (%(teacher)s) signs this record.",
                    klass=self.class_id.name, teacher=homeroom.name or _("not set")))
            codes = own_codes + [None]
        elif role == X.ROLE_CBQL:
            if not user.has_group("hocbaso_odoo.group_leadership"):
                raise AccessError(_("Only the school leadership signs records at this step."))
            if self.leader_id and self.leader_id != user:
                raise AccessError(_(
                    "The record names %(leader)s as the signing leader; only they can sign it.",
                    leader=self.leader_id.name))
        elif role == X.ROLE_ISSUER and not user.has_group("hocbaso_odoo.group_issuer"):
            raise AccessError(_("Only the seal holder (issuer) issues records."))
        certificate._check_may_sign_for(self, role, user, check_usable=check_certificate)
        return codes

    def _only_own_subjects_unsigned(self, user):
        """The unsigned subject lines when every one of them is taught by ``user`` (a homeroom
        teacher can then sign them with her GVCN slot); empty otherwise."""
        self.ensure_one()
        unsigned = self.line_ids.filtered(lambda line: not line.gvbm_signed)
        if unsigned and all(line.teacher_id == user for line in unsigned):
            return unsigned
        return unsigned.browse()

    @api.model
    def _role_label(self, role):
        return dict(self._fields["sign_role"]._description_selection(self.env)).get(role, role)

    # --- signing -------------------------------------------------------------------------
    def _sign(self, role, signer, certificate_record, subject_codes=None):
        """Sign this record as ``role`` with an open ``signer`` (hocbaso.signing.base.Signer)."""
        self.ensure_one()
        failure = self._sign_batch(role, signer, certificate_record, subject_codes).get(self.id)
        if failure:
            raise failure
        return True

    def _sign_batch(self, role, signer, certificate_record, subject_codes=None):
        """Sign every record of ``self`` as ``role`` in one go; returns {record id: exception}
        for the records refused (the others are signed).

        One row lock for all, the certificate checked once, each record's slots signed on one
        parse (a homeroom teacher's own subjects together with her GVCN slot), then the
        documents, the signature log, the states and the chatter written in batches.
        A record another session is signing makes the whole call fail (UserError): the caller
        retries record by record to tell which.
        """
        user = self.env.user
        self._lock_for_signing()
        moment = _utcnow()
        failures, signed, key_checked = {}, [], False
        for record in self:
            try:
                codes = record._check_signer(role, user, certificate_record, subject_codes,
                                             own_subjects=True, check_certificate=False)
                if not key_checked:  # once per batch, after the first record's own checks
                    if signer.certificate != certificate_record._x509():
                        raise UserError(_("The key used does not belong to the chosen "
                                          "certificate %(cert)s.", cert=certificate_record.name))
                    certificate_record._check_usable()
                    key_checked = True
                steps = [(X.ROLE_GVBM if code else role, signer, code) for code in codes]
                xml, made = X.sign_slots_made(record._get_xml(), steps, signing_time=moment)
                record._note_verified(xml, {entry.role for entry in made})
            except (UserError, AccessError, ValidationError) as err:
                failures[record.id] = err
                continue
            except HocbasoError as err:
                failures[record.id] = UserError(lib_message(self.env, err))
                continue
            signed.append((record, xml, made))
        self._finish_signing_batch(role, signed, certificate_record, user, moment)
        return failures

    def _prepare_remote_signature(self, role, certificate_record, subject_code=None):
        """Phase one of a two-phase (remote) signature: return what must be kept until phase two.

        Returns a plain dict (no secret in it): the pending signature and the hash of the
        document it was prepared from.
        """
        self.ensure_one()
        self._lock_for_signing()
        codes = self._check_signer(role, self.env.user, certificate_record,
                                   [subject_code] if subject_code else None)
        xml = self._get_xml()
        try:
            pending = X.prepare_signature(xml, role, certificate_record._x509(), codes[0],
                                          signing_time=_utcnow())
        except HocbasoError as err:
            raise UserError(lib_message(self.env, err)) from err
        return {"pending": pending.to_dict(), "base_sha256": hashlib.sha256(xml).hexdigest(),
                "digest": base64.b64encode(pending.digest).decode()}

    def _complete_remote_signature(self, prepared, signature_value, certificate_record):
        """Phase two: put the value returned by the service in place and log the signature."""
        self.ensure_one()
        self._lock_for_signing()
        pending = X.PendingSignature.from_dict(prepared["pending"])
        user = self.env.user
        self._check_signer(pending.role, user, certificate_record,
                           [pending.subject_code] if pending.subject_code else None)
        if hashlib.sha256(self._get_xml()).hexdigest() != prepared["base_sha256"]:
            raise UserError(_(
                "%(record)s changed while waiting for the remote signature (someone else signed "
                "it). Start this signature again.", record=self.display_name))
        if pending.certificate != certificate_record._x509():
            raise UserError(_("The pending signature was made for another certificate."))
        try:
            xml = X.complete_signature(pending, signature_value)
        except HocbasoError as err:
            raise UserError(lib_message(self.env, err)) from err
        moment = self._pending_time(pending)
        self._finish_signing_batch(pending.role, [(self, xml, [pending])], certificate_record,
                                   user, moment)
        return True

    @staticmethod
    def _pending_time(pending):
        root = parse_untrusted(pending.document)
        text = root.findtext(".//" + X.xades("SigningTime"))
        return X.parse_signing_time(text) if text else _utcnow()

    def _finish_signing_batch(self, role, signed, certificate_record, user, moment):
        """Keep what was signed: ``signed`` is [(record, signed document, signatures made)]
        (each signature with role, subject_code, signature_id, certificate and digest).

        The documents, the signature log and the states are written for all records at once;
        each record gets one chatter note (its state change included)."""
        if not signed:
            return
        log_vals = []
        holder = certificate_record.sudo().subject_name
        signing_time = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        record_ids, line_ids = [], []
        subjects_of = {}  # certificate -> its subject as text (one certificate per batch)
        for record, xml, made in signed:
            record._store_xml(xml)
            lines = {line.subject_code: line for line in record.line_ids} \
                if any(entry.subject_code for entry in made) else {}
            for entry in made:
                if entry.certificate not in subjects_of:
                    subjects_of[entry.certificate] = entry.certificate.subject.rfc4514_string()
                log_vals.append({
                    # company_id is the related record_id.company_id; given here it goes into
                    # the INSERT instead of a second UPDATE of every new row at the flush
                    "record_id": record.id, "company_id": record.company_id.id,
                    "role": entry.role,
                    "subject_id": lines[entry.subject_code].subject_id.id
                    if entry.subject_code else False,
                    "user_id": user.id, "certificate_id": certificate_record.id,
                    "certificate_subject": subjects_of[entry.certificate],
                    "signing_time": signing_time, "signature_ref": entry.signature_id,
                    "digest": entry.digest.hex(),
                })
                if entry.subject_code:
                    line_ids.append(lines[entry.subject_code].id)
            record_ids.append(record.id)
        with workflow(self.env):
            self.env["hocbaso.record.signature"].sudo().create(log_vals)
        # the signer was checked above; subject teachers have no write access on the record,
        # so the state and the chatter line are written as superuser (the author stays the user)
        records = self.browse(record_ids).sudo()
        subject_lines = self.env["hocbaso.record.line"].browse(line_ids)
        signed_names = collections.defaultdict(list)  # record id -> subjects signed now
        for line in subject_lines:
            signed_names[line.record_id.id].append(line.subject_id.name)
        notes = {record_id: self.env._(
            "%(subjects)s signed by %(user)s (certificate %(cert)s).",
            subjects=", ".join(names), user=user.name, cert=holder)
            for record_id, names in signed_names.items()}
        complete = records._mark_subject_signed(subject_lines.sudo(), notes, author=user) \
            if subject_lines else records.browse()
        if role == X.ROLE_GVBM:
            for note, group in (records - complete).grouped(
                    lambda record: notes.get(record.id, "")).items():
                group._log_note_batch(note, author=user)
            return
        records._set_state(ROLE_TO_STATE[role], _(
            "Signed as %(role)s by %(user)s (certificate %(cert)s).",
            role=self._role_label(role), user=user.name, cert=holder), author=user)
        if role == X.ROLE_ISSUER:
            records._on_issued()

    def _note_verified(self, xml, roles):
        """Remember, for this transaction, that ``xml`` carries verified signatures of
        ``roles``, so the state guard does not parse and verify the same document again.
        Only for documents from sign_slots_made, which verifies every signature it made on
        the written bytes (not for a remote signature completed from a kept document)."""
        verified = self.env.cr.cache.setdefault(VERIFIED_DOCUMENTS, {})
        verified.setdefault((self.id, hashlib.sha256(xml).hexdigest()), set()).update(roles)

    # --- record package: the issuing CAs travel with the signers' certificates --------------
    def _package_chain_certificates(self, signer_ders):
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        from ..tools import trust_material

        result = super()._package_chain_certificates(signer_ders)
        _roots, intermediates, _crls = trust_material(self.env, self.company_id)
        by_subject = {}
        for cert in intermediates:
            by_subject.setdefault(cert.subject, cert)
        wanted, added = [x509.load_der_x509_certificate(der) for der in signer_ders], set()
        while wanted:  # walk up: signer -> issuing CA -> its issuer, while we know them
            issuer = by_subject.get(wanted.pop().issuer)
            if issuer is None or issuer.subject in added:
                continue
            added.add(issuer.subject)
            wanted.append(issuer)
            result.append((f"certificates/ca-{len(added):02d}.cer",
                           issuer.public_bytes(serialization.Encoding.DER),
                           issuer.subject.rfc4514_string()))
        return result

    # --- the document must carry the signatures the state claims ----------------------------
    def _signatures_enforced(self):
        """Signatures are required once signing is set up for the school (a trusted CA exists)
        or the document already carries a signature."""
        self.ensure_one()
        if self.sudo().signature_ids or self.revocation_statement:
            return True
        return bool(self.env["hocbaso.trusted.ca"].sudo().search_count([
            ("active", "=", True), "|", ("company_id", "=", False),
            ("company_id", "=", self.company_id.id)], limit=1))

    def _signed_slots_ok(self, role):
        """True when every slot of ``role`` holds a signature whose cryptography checks out."""
        xml = self._get_xml()
        if not xml:
            return False
        try:
            root = parse_untrusted(xml)
            layout = X.Layout.of(root)
        except HocbasoError:
            return False
        index = X.id_index(root)
        slots = layout.subject_slots if role == X.ROLE_GVBM else [layout.slot(role)]
        if not slots:
            return False
        return all(slot.signatures and not X.signature_crypto_errors(slot.signatures[0], index)
                   for slot in slots)

    def _require_signature(self, role):
        verified = self.env.cr.cache.get(VERIFIED_DOCUMENTS, {})
        if verified and role in verified.get((self.id, self.xml_sha256), ()):
            return  # made and verified on these very bytes in this transaction
        if self._signatures_enforced() and not self._signed_slots_ok(role):
            raise UserError(_(
                "%(record)s cannot be marked as signed by the %(role)s: the document does not "
                "carry that signature. Sign it with the Sign button.",
                record=self.display_name, role=self._role_label(role)))

    def _check_ready_for(self, target):
        result = super()._check_ready_for(target)
        role = SIGNATURE_FOR_STATE.get(target)
        if role:
            self._require_signature(role)
        if target == "revoked" and self._signatures_enforced() and not self.revocation_statement:
            raise UserError(_(
                "%(record)s can be revoked only with a revocation statement signed by the "
                "issuer: use Revoke (signed).", record=self.display_name))
        return result

    # --- revocation ----------------------------------------------------------------------
    def _revoke_signed(self, reason, signer, certificate_record):
        """Sign a revocation statement with the school's certificate, keep it, then revoke."""
        from ..tools import build_revocation_statement, sign_statement

        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Give the reason for revoking the record."))
        user = self.env.user
        if not user.has_group("hocbaso_odoo.group_issuer"):
            raise AccessError(_("Only the seal holder (issuer) revokes records."))
        for record in self:
            record._lock_for_signing()
            if record.state != "issued":
                raise UserError(_("Only an issued record can be revoked; %(record)s is "
                                  "%(state)s.", record=record.display_name,
                                  state=record._state_label(record.state)))
            certificate_record._check_may_sign_for(record, X.ROLE_ISSUER, user)
            if signer.certificate != certificate_record._x509():
                raise UserError(_("The key used does not belong to the chosen certificate "
                                  "%(cert)s.", cert=certificate_record.name))
            moment = _utcnow()
            statement = build_revocation_statement(record, reason, moment)
            try:
                signed, signature_id, digest = sign_statement(statement, signer, moment)
            except HocbasoError as err:
                raise UserError(lib_message(self.env, err)) from err
            with workflow(self.env):
                record.sudo().write({"revocation_statement": base64.b64encode(signed)})
                self.env["hocbaso.record.signature"].sudo().create({
                    "record_id": record.id, "role": "revocation", "user_id": user.id,
                    "certificate_id": certificate_record.id,
                    "certificate_subject": signer.certificate.subject.rfc4514_string(),
                    "signing_time": moment.replace(tzinfo=None), "signature_ref": signature_id,
                    "digest": digest})
            record._revoke(reason)
        return True

    def _get_revocation_statement(self):
        self.ensure_one()
        return base64.b64decode(self.revocation_statement) if self.revocation_statement else b""

    # --- verification --------------------------------------------------------------------
    def _verify_report(self):
        """hocbaso.verify report of the stored document against the trusted CAs."""
        from hocbaso.verify import verify_document

        from ..tools import trust_material

        self.ensure_one()
        roots, intermediates, crls = trust_material(self.env, self.company_id)
        return verify_document(self._get_xml(), roots, intermediates, crls)

    # --- actions -------------------------------------------------------------------------
    def action_open_sign_wizard(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo_sign.hocbaso_sign_wizard_action")
        action["context"] = {"active_model": self._name, "active_ids": self.ids}
        return action

    def action_verify_signatures(self):
        self.ensure_one()
        wizard = self.env["hocbaso.verify.wizard"].create({"record_id": self.id})
        wizard._run()
        return {
            "type": "ir.actions.act_window", "res_model": wizard._name, "res_id": wizard.id,
            "view_mode": "form", "target": "new", "name": _("Signature Verification"),
        }

    def action_download_revocation_statement(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/revocation_statement/"
                   f"{self.revocation_statement_filename}?download=true",
        }
