"""Correction before issuance (trả lại để sửa): a signed record goes back to the people who
must correct it; the signatures made after the point of correction are withdrawn."""

from markupsafe import escape

from odoo import api, fields, models, _
from odoo.exceptions import AccessError, UserError

from ..tools import in_workflow, workflow
from .hocbaso_record import GUARDED_TRANSITIONS, RECORD_CONTENT_FIELDS

# signed, not yet issued: a correction is sent back; after issuance it is a new version
SEND_BACK_STATES = ("locked", "gvbm_signed", "gvcn_signed", "leader_signed")

# what the homeroom teacher may correct on the record itself while it is sent back (who the
# record is of, where and when it was issued stay as they were)
RECORD_CORRECTABLE_FIELDS = RECORD_CONTENT_FIELDS - {
    "student_id", "class_id", "school_year_id", "company_id", "record_uuid", "version",
    "is_extract", "issue_date", "issue_place", "homeroom_teacher_id", "leader_id", "line_ids",
    "certificate_ids",
}


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    correction_open = fields.Boolean(
        string="Sent Back for Correction", readonly=True, copy=False, tracking=True,
        help="Sent back before issuance: the homeroom teacher (and the subject teachers whose "
             "subjects were sent back) correct it, then sign again.")

    # --- who may send back -------------------------------------------------------------------
    def _check_send_back_allowed(self):
        """The principal: any record of the school; the homeroom teacher: her class's records,
        until the school leadership signed."""
        user = self.env.user
        leader = user.has_group("hocbaso_odoo.group_leadership")
        for record in self:
            if record.state not in SEND_BACK_STATES or not record._is_signed():
                raise UserError(_(
                    "The record of %(student)s is %(state)s: only a signed record that is not "
                    "issued yet can be sent back. After issuance, create a corrected version.",
                    student=record.student_id.name, state=record._state_label(record.state)))
            if leader:
                continue
            homeroom = record.class_id.homeroom_teacher_id | record.homeroom_teacher_id
            if user not in homeroom:
                raise AccessError(_(
                    "Only the principal or the homeroom teacher of %(klass)s can send the record "
                    "of %(student)s back for correction.", klass=record.class_id.name,
                    student=record.student_id.name))
            if record.state == "leader_signed":
                raise AccessError(_(
                    "The school leadership has signed the record of %(student)s: ask the "
                    "principal to send it back.", student=record.student_id.name))

    # --- the send-back ---------------------------------------------------------------------
    def _send_back(self, reason, subjects=None):
        """Send back for correction with ``reason``: ``subjects`` (hocbaso.subject) reopen for
        their teachers; without subjects, the homeroom teacher's part only. Withdraws the
        signatures past the point of correction and asks each person who signs again."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Give the reason for sending the record back."))
        subjects = subjects or self.env["hocbaso.subject"]
        self._check_send_back_allowed()
        self.check_access("write")
        author = self.env.user
        for record in self:
            record._lock_rows_for_send_back()
            lines = record.line_ids.filtered(lambda line: line.subject_id in subjects)
            missing = subjects - record.line_ids.subject_id
            if missing:
                raise UserError(_("The record of %(student)s has no subject %(subjects)s.",
                                  student=record.student_id.name,
                                  subjects=", ".join(missing.mapped("name"))))
            withdrawn = record._withdraw_signatures(lines, reason)
            target = "locked" if lines or not all(record.line_ids.mapped("gvbm_signed")) \
                else "gvbm_signed"
            before = {"state": record.state, "correction_open": record.correction_open}
            with workflow(self.env):
                lines.sudo().write({"gvbm_signed": False, "gvbm_signed_date": False,
                                    "correction_open": True})
                key = (record.id, record.state, target)
                guarded = self.env.cr.cache.setdefault(GUARDED_TRANSITIONS, set())
                guarded.add(key)
                try:
                    record.sudo().with_context(mail_notrack=True).write(
                        {"state": target, "correction_open": True})
                finally:
                    guarded.discard(key)
            record._refresh_document()
            parts = ", ".join(lines.mapped("subject_id.name")) or _("the homeroom teacher's part")
            record._log_note_batch(
                _("Sent back for correction (%(parts)s): %(reason)s. Signatures withdrawn: "
                  "%(withdrawn)s.", parts=parts, reason=reason,
                  withdrawn=", ".join(withdrawn) or _("none")),
                {record.id: before}, author)
            record._ask_to_sign_again(lines, reason)
        return True

    def _lock_rows_for_send_back(self):
        """Hook: the signing layer locks the row against a signature made meanwhile."""

    def _withdraw_signatures(self, lines, reason):
        """Hook of the signing layer: take the signatures past the point of correction out of
        the document and mark them withdrawn in the log; returns their labels. The core keeps
        no signatures of its own."""
        self.ensure_one()
        return []

    def _refresh_document(self):
        """Rebuild the stored document from the corrected results; the signing layer carries
        the signatures that still hold into it."""
        self.ensure_one()
        if self.state != "draft":
            self._store_xml(self._build_xml())

    def _ask_to_sign_again(self, lines, reason):
        """An activity for each person who must correct or sign again."""
        self.ensure_one()
        todo = self.env.ref("mail.mail_activity_data_todo")
        people = {}
        for line in lines.filtered("teacher_id"):
            people.setdefault(line.teacher_id, []).append(line.subject_id.name)
        record = self.sudo()
        for teacher, names in people.items():
            record.activity_schedule(
                activity_type_id=todo.id, user_id=teacher.id,
                summary=_("Correct and sign again: %(subjects)s", subjects=", ".join(names)),
                note=escape(reason))
        homeroom = self.class_id.homeroom_teacher_id or self.homeroom_teacher_id
        if homeroom:
            record.activity_schedule(
                activity_type_id=todo.id, user_id=homeroom.id,
                summary=_("Check the correction and sign the record again"), note=escape(reason))

    # --- while sent back ----------------------------------------------------------------------
    def _hocbaso_open_rows(self):
        """A record sent back stays open to its homeroom teacher (and the leadership) for the
        fields she completes, until she signs again."""
        user = self.env.user
        leader = user.has_group("hocbaso_odoo.group_leadership")
        return self.filtered(lambda record: record.correction_open and record.state in (
            "locked", "gvbm_signed") and (leader or user in (
                record.class_id.homeroom_teacher_id | record.homeroom_teacher_id)))

    def write(self, vals):
        opened = self.filtered("correction_open")
        if opened and not in_workflow(self.env):
            outside = set(vals) - RECORD_CORRECTABLE_FIELDS
            if outside:
                raise UserError(_(
                    "The record of %(student)s is sent back for correction: only its results "
                    "and comments can be changed now (not %(fields)s).",
                    student=opened[0].student_id.name, fields=", ".join(
                        self._fields[name]._description_string(self.env) for name in
                        sorted(outside) if name in self._fields)))
        res = super().write(vals)
        if opened and RECORD_CORRECTABLE_FIELDS.intersection(vals):
            for record in opened:
                record._refresh_document()
        return res

    def _on_results_changed(self, lines):
        """A subject line of these records changed: a record sent back gets its document
        rebuilt, so that what the teacher signs again is what she corrected."""
        for record in self.filtered("correction_open"):
            record._refresh_document()

    def _set_state(self, target, message=None, author=None, tracked_before=None):
        res = super()._set_state(target, message, author, tracked_before)
        if target == "gvcn_signed":
            closed = self.filtered("correction_open")
            if closed:
                with workflow(self.env):
                    closed.sudo().with_context(mail_notrack=True).write({"correction_open": False})
        return res

    @api.model
    def _send_back_states(self):
        return SEND_BACK_STATES
