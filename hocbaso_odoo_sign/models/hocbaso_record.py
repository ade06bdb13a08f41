"""Signing a record: the server-side checks, the XML-DSig layer, the log and the state.
Remote two-phase signing, the signatures a state needs, revocation and verification extend
it in hocbaso_record_remote/_enforce/_revoke/_verify.py."""

import collections
import datetime as dt
import functools
import hashlib
import logging

import psycopg2.errors

from odoo import api, fields, models, _
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso import roles
from hocbaso.timeutil import signing_now
from hocbaso.errors import HocbasoError
from hocbaso.signing import concurrent
from hocbaso.signing import xmldsig as X

from odoo.addons.hocbaso_odoo.tools import lib_message, workflow

_logger = logging.getLogger(__name__)

# role -> state the record must be in before that role signs
ROLE_FROM_STATE = {role.code: role.state_before for role in roles.ROLES}
# role -> state its signature moves the record to; a subject teacher's signature does not by
# itself: the record moves once every subject is signed
ROLE_TO_STATE = {role.code: role.state_after for role in roles.ROLES
                 if role.code != roles.ROLE_GVBM}
# the signature the document must carry before the record enters each signed state
SIGNATURE_FOR_STATE = {"gvbm_signed": X.ROLE_GVBM,
                       **{state: role for role, state in ROLE_TO_STATE.items()}}
STATE_ROLE = {state: role for role, state in ROLE_FROM_STATE.items()}


# cr.cache key: {(record id, document SHA-256): roles whose signatures this transaction made
# and verified on exactly that document}. On the cursor, out of reach of an RPC context.
VERIFIED_DOCUMENTS = "hocbaso.verified_documents"


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    signature_ids = fields.One2many("hocbaso.record.signature", "record_id", string="Signatures")
    signature_count = fields.Integer(compute="_compute_signature_count")
    sign_role = fields.Selection(
        roles.SELECTION, compute="_compute_sign_role", help="Whose signature the record waits for.")

    @api.depends("signature_ids")
    def _compute_signature_count(self):
        for record in self:
            record.signature_count = len(record.signature_ids)

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
        stamper = self._stamper()
        self._lock_for_signing()
        moment = signing_now()
        signer = concurrent.SerialSigner(signer)
        failures, ready, key_checked = {}, [], False
        for record in self:
            try:
                codes = record._check_signer(role, user, certificate_record, subject_codes,
                                             own_subjects=True, check_certificate=False)
                if not key_checked:  # once per batch, after the first record's own checks
                    if signer.certificate != certificate_record._x509():
                        raise UserError(_("The key used does not belong to the chosen "
                                          "certificate %(cert)s.",
                                          cert=certificate_record.display_name))
                    certificate_record._check_usable()
                    key_checked = True
            except (UserError, AccessError, ValidationError) as err:
                failures[record.id] = err
                continue
            except HocbasoError as err:
                failures[record.id] = UserError(lib_message(self.env, err))
                continue
            steps = [(X.ROLE_GVBM if code else role, signer, code) for code in codes]
            ready.append((record, functools.partial(X.sign_slots_made, record._get_xml(), steps,
                                                    signing_time=moment)))
        # the records' signatures side by side while their timestamps are on the way; in
        # the threads only the library and the authority, no environment
        outcomes = concurrent.each([sign for _record, sign in ready], stamper.sign,
                                   at_once=concurrent.AT_ONCE if stamper.stamp else 1)
        signed = []
        for (record, _sign), outcome in zip(ready, outcomes):
            try:
                xml, made = record._stamped_result(stamper, outcome)
            except UserError as err:  # a required timestamp the authority did not give
                failures[record.id] = err
                continue
            except HocbasoError as err:
                failures[record.id] = UserError(lib_message(self.env, err))
                continue
            record._note_verified(xml, {entry.role for entry in made})
            signed.append((record, xml, made))
        self._finish_signing_batch(role, signed, certificate_record, user, moment)
        signed_records = self.browse([record.id for record, _xml, _made in signed])
        signed_records._note_unstamped(stamper, author=user)
        if role == X.ROLE_ISSUER and signed:  # the key is open: certify the printed records
            signed_records._sign_issued_pdfs(signer, certificate_record)
        return failures

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

    # --- actions -------------------------------------------------------------------------
    def action_open_sign_wizard(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo_sign.hocbaso_sign_wizard_action")
        action["context"] = {"active_model": self._name, "active_ids": self.ids}
        if self.env["hocbaso.sign.wizard"]._guess_role(self) == X.ROLE_ISSUER:
            action["name"] = self.env._("Issue Records")  # the issuer's step: the issuance
        return action

