import uuid

from odoo import api, fields, models, _
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso import validation
from hocbaso.errors import HocbasoError
from hocbaso.rules import tt22, tt27

from ..tools import raise_as_validation_error

STATES = [
    ("draft", "Draft"),
    ("locked", "Results Locked"),
    ("gvbm_signed", "Signed by Subject Teachers"),
    ("gvcn_signed", "Signed by Homeroom Teacher"),
    ("leader_signed", "Signed by School Leadership"),
    ("issued", "Issued"),
    ("revoked", "Revoked"),
    ("superseded", "Superseded"),
]

# The legal workflow: from-state -> allowed next states.
TRANSITIONS = {
    "draft": {"locked"},
    "locked": {"draft", "gvbm_signed"},
    "gvbm_signed": {"gvcn_signed"},
    "gvcn_signed": {"leader_signed"},
    "leader_signed": {"issued"},
    "issued": {"revoked", "superseded"},
    "revoked": set(),
    "superseded": set(),
}

# Who may move a record into a state (server-side, on top of access rights).
TRANSITION_GROUPS = {
    "draft": "hocbaso_odoo.group_homeroom_teacher",
    "locked": "hocbaso_odoo.group_homeroom_teacher",
    "gvbm_signed": "hocbaso_odoo.group_subject_teacher",
    "gvcn_signed": "hocbaso_odoo.group_homeroom_teacher",
    "leader_signed": "hocbaso_odoo.group_leadership",
    "issued": "hocbaso_odoo.group_issuer",
    "revoked": "hocbaso_odoo.group_issuer",
    "superseded": "hocbaso_odoo.group_issuer",
}

SIGNED_STATES = ("gvbm_signed", "gvcn_signed", "leader_signed", "issued", "revoked", "superseded")
LIVE_STATES = ("draft", "locked", "gvbm_signed", "gvcn_signed", "leader_signed", "issued")

TT27_RATING = [("T", "T – Good"), ("Đ", "Đ – Achieved"), ("C", "C – Needs effort")]
TT22_RESULT = [("T", "T – Good"), ("K", "K – Fair"), ("Đ", "Đ – Passed"), ("CĐ", "CĐ – Not passed")]
TT27_YEAR_LEVEL = [("HTXS", "Completed excellently"), ("HTT", "Completed well"),
                   ("HT", "Completed"), ("CHT", "Not completed")]

COMPETENCY_FIELDS = [
    ("nangluctuhoc", "Self-control and self-study"),
    ("nanglucgiaotiep", "Communication and cooperation"),
    ("nanglucgiaiquyet", "Problem solving and creativity"),
    ("nanglucngonngu", "Language"),
    ("nangluctinhtoan", "Numeracy"),
    ("nangluckhoahoc", "Science"),
    ("nangluccongnghe", "Technology"),
    ("nangluctinhoc", "Informatics"),
    ("nanglucthammi", "Aesthetics"),
    ("nanglucthechat", "Physical"),
]
QUALITY_FIELDS = [
    ("phamchatyeunuoc", "Patriotism"),
    ("phamchatnhanai", "Kindness"),
    ("phamchatchamchi", "Diligence"),
    ("phamchattrungthuc", "Honesty"),
    ("phamchattrachnhiem", "Responsibility"),
]

# Fields that go into the signed document; frozen after the first signature.
RECORD_CONTENT_FIELDS = frozenset(
    {
        "student_id", "class_id", "school_year_id", "company_id", "record_uuid", "version",
        "is_extract", "issue_date", "issue_place", "homeroom_teacher_id", "leader_id",
        "leader_title", "homeroom_comment", "line_ids", "certificate_ids",
        "quality_comment", "general_competency_comment", "specific_competency_comment",
        "year_level", "award", "special_award", "promoted", "completed_class",
        "completed_primary", "completion_text", "absent_excused", "absent_unexcused",
        "weight_kg", "height_cm", "learning_s1", "learning_s2", "learning_year", "conduct_s1",
        "conduct_s2", "conduct_year", "conduct_reassessed", "learning_reassessed",
        "summer_training_note", "absences", "promotion_text", "competition_results",
    }
    | {name for name, _label in COMPETENCY_FIELDS}
    | {name for name, _label in QUALITY_FIELDS}
)


class HocbasoRecord(models.Model):
    """The học bạ: one per student per school year, versioned, signed, then immutable."""

    _name = "hocbaso.record"
    _description = "Digital School Record"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "school_year_id desc, class_id, student_id, version desc"
    _check_company_auto = True
    _rec_names_search = ["student_id.name", "student_id.personal_id", "record_uuid"]

    name = fields.Char(compute="_compute_name", store=True)
    record_uuid = fields.Char(
        string="Record ID", required=True, readonly=True, copy=False, index=True,
        default=lambda self: str(uuid.uuid4()),
        help="madinhdanhhocba: the same for every version of this record.",
    )
    version = fields.Integer(string="Version", required=True, default=1, readonly=True, copy=False)
    previous_version_id = fields.Many2one("hocbaso.record", string="Previous Version",
                                          readonly=True, copy=False)
    next_version_id = fields.Many2one("hocbaso.record", string="Corrected Version",
                                      compute="_compute_next_version")
    state = fields.Selection(STATES, default="draft", required=True, readonly=True, copy=False,
                             tracking=True, index=True)
    company_id = fields.Many2one("res.company", string="School", required=True,
                                 default=lambda self: self.env.company, index=True)
    student_id = fields.Many2one("hocbaso.student", string="Student", required=True,
                                 check_company=True, index=True, tracking=True)
    personal_id = fields.Char(related="student_id.personal_id", string="Personal ID")
    class_id = fields.Many2one("hocbaso.class", string="Class", required=True, check_company=True,
                               index=True)
    school_year_id = fields.Many2one("hocbaso.school.year", string="School Year", required=True,
                                     index=True)
    grade_id = fields.Many2one(related="class_id.grade_id", store=True)
    level_id = fields.Many2one(related="class_id.level_id", store=True)
    circular = fields.Selection(
        [("TT27", "TT27/2020 (primary)"), ("TT22", "TT22/2021 (secondary)")],
        compute="_compute_circular", store=True,
    )
    is_extract = fields.Boolean(string="Digitised from Paper", help="trichluc")
    issue_date = fields.Date(string="Date of Issue", tracking=True,
                             help="ngaykyphathanh, printed on the record; fixed when results are locked.")
    issue_place = fields.Char(string="Place of Issue",
                              default=lambda self: self.env.company.hocbaso_issue_place)
    homeroom_teacher_id = fields.Many2one("res.users", string="Homeroom Teacher",
                                          check_company=True, tracking=True)
    leader_id = fields.Many2one("res.users", string="Signing Leader", check_company=True,
                                tracking=True, help="Principal or vice-principal who signs.")
    leader_title = fields.Char(string="Leader's Title", help="chucvugiamhieu")
    homeroom_comment = fields.Text(string="Homeroom Teacher's Comment")
    line_ids = fields.One2many("hocbaso.record.line", "record_id", string="Subjects")
    certificate_ids = fields.One2many("hocbaso.record.certificate", "record_id",
                                      string="Certificates")
    line_signed_count = fields.Integer(compute="_compute_line_signed_count")
    # TT27 (primary)
    quality_comment = fields.Text(string="Comment on Qualities")
    general_competency_comment = fields.Text(string="Comment on General Competencies")
    specific_competency_comment = fields.Text(string="Comment on Specific Competencies")
    year_level = fields.Selection(TT27_YEAR_LEVEL, string="Year Result")
    award = fields.Char(string="Award")
    special_award = fields.Char(string="Ad-hoc Award")
    completed_class = fields.Boolean(string="Completed the Class Programme")
    completed_primary = fields.Boolean(string="Completed Primary School")
    completion_text = fields.Char(string="Completion Note")
    absent_excused = fields.Integer(string="Absences with Leave")
    absent_unexcused = fields.Integer(string="Absences without Leave")
    weight_kg = fields.Char(string="Weight (kg)")
    height_cm = fields.Char(string="Height (cm)")
    # TT22 (secondary)
    learning_s1 = fields.Selection(TT22_RESULT, string="Learning, Sem. 1")
    learning_s2 = fields.Selection(TT22_RESULT, string="Learning, Sem. 2")
    learning_year = fields.Selection(TT22_RESULT, string="Learning, Year")
    conduct_s1 = fields.Selection(TT22_RESULT, string="Conduct, Sem. 1")
    conduct_s2 = fields.Selection(TT22_RESULT, string="Conduct, Sem. 2")
    conduct_year = fields.Selection(TT22_RESULT, string="Conduct, Year")
    conduct_reassessed = fields.Selection(TT22_RESULT, string="Conduct after Summer Training")
    learning_reassessed = fields.Selection(TT22_RESULT, string="Learning after Re-test")
    summer_training_note = fields.Text(string="Summer Training Note")
    absences = fields.Integer(string="Absences (half-days)")
    promoted = fields.Boolean(string="Promoted")
    promotion_text = fields.Char(string="Promotion Note")
    competition_results = fields.Text(string="Competition Results")
    # revocation
    revoke_reason = fields.Text(string="Reason for Revocation", readonly=True, copy=False,
                                tracking=True)
    revoked_on = fields.Datetime(string="Revoked On", readonly=True, copy=False)
    active = fields.Boolean(default=True)

    for _fname, _label in COMPETENCY_FIELDS + QUALITY_FIELDS:
        locals()[_fname] = fields.Selection(TT27_RATING, string=_label)
    del _fname, _label

    _sql_constraints = [
        ("uuid_version_unique", "UNIQUE(record_uuid, version)",
         "This version of the record already exists."),
        ("absences_range", "CHECK(absences >= 0 AND absences <= 300)",
         "Absences must be between 0 and 300 half-days."),
        ("primary_absences_range",
         "CHECK(absent_excused >= 0 AND absent_excused <= 200 AND absent_unexcused >= 0 "
         "AND absent_unexcused <= 200)",
         "Absences with and without leave must each be between 0 and 200 sessions."),
    ]

    # --- computed ------------------------------------------------------------------------
    @api.depends("student_id.name", "school_year_id.name", "version")
    def _compute_name(self):
        for record in self:
            version = f" v{record.version}" if record.version > 1 else ""
            record.name = f"{record.student_id.name or ''} – {record.school_year_id.name or ''}{version}"

    @api.depends("level_id.circular")
    def _compute_circular(self):
        for record in self:
            record.circular = record.level_id.circular or "TT22"

    @api.depends_context("uid")
    def _compute_next_version(self):
        successors = self.search([("previous_version_id", "in", self.ids)])
        by_previous = {s.previous_version_id.id: s for s in successors}
        for record in self:
            record.next_version_id = by_previous.get(record.id, False)

    @api.depends("line_ids.gvbm_signed")
    def _compute_line_signed_count(self):
        for record in self:
            record.line_signed_count = len(record.line_ids.filtered("gvbm_signed"))

    # --- constraints ---------------------------------------------------------------------
    @api.constrains("student_id", "school_year_id", "state", "record_uuid")
    def _check_one_record_per_student_year(self):
        for record in self:
            others = self.search([
                ("id", "!=", record.id),
                ("student_id", "=", record.student_id.id),
                ("school_year_id", "=", record.school_year_id.id),
                ("state", "in", LIVE_STATES),
                ("record_uuid", "!=", record.record_uuid),
            ], limit=1)
            if others and record.state in LIVE_STATES:
                raise ValidationError(_(
                    "%(student)s already has a record for %(year)s. Correct that record "
                    "instead of creating another one.",
                    student=record.student_id.name, year=record.school_year_id.name))

    @api.constrains("class_id", "school_year_id", "student_id")
    def _check_class_year(self):
        for record in self:
            if record.class_id.school_year_id != record.school_year_id:
                raise ValidationError(_("The class %(klass)s does not belong to school year %(year)s.",
                                        klass=record.class_id.name, year=record.school_year_id.name))

    @api.constrains("weight_kg", "height_cm")
    def _check_body_measures(self):
        limits = {"weight_kg": (_("Weight"), 5, 150), "height_cm": (_("Height"), 50, 220)}
        for record in self:
            for name, (label, low, high) in limits.items():
                value = (record[name] or "").replace(",", ".").strip()
                if not value:
                    continue
                try:
                    number = float(value)
                except ValueError:
                    number = None
                if number is None or not low <= number <= high:
                    raise ValidationError(_("%(label)s %(value)s is not plausible: enter a number "
                                            "between %(low)s and %(high)s.",
                                            label=label, value=record[name], low=low, high=high))

    # --- immutability --------------------------------------------------------------------
    def _is_content_frozen(self):
        """Locked or signed: the content may no longer change (locked can be unlocked)."""
        self.ensure_one()
        return self.state != "draft" or any(self.line_ids.mapped("gvbm_signed"))

    def _is_signed(self):
        self.ensure_one()
        return self.state in SIGNED_STATES or any(self.line_ids.mapped("gvbm_signed"))

    def write(self, vals):
        frozen = RECORD_CONTENT_FIELDS.intersection(vals)
        if frozen:
            self.check_access("write")  # who may not write at all hears that first
            states = dict(self._fields["state"]._description_selection(self.env))
            for record in self:
                if not record._is_content_frozen():
                    continue
                if record.state == "locked" and not record._is_signed():
                    hint = _("Unlock the results first.")
                else:
                    hint = _("Create a corrected version instead.")
                raise UserError(_(
                    "The record of %(student)s is %(state)s: its content cannot be changed. "
                    "%(hint)s", student=record.student_id.name, state=states[record.state],
                    hint=hint))
        if "state" in vals:
            for record in self:
                record._check_state_transition(vals["state"])
        return super().write(vals)

    def unlink(self):
        for record in self:
            if record.state != "draft" or record._is_signed():
                raise UserError(_(
                    "Only draft records can be deleted. Signed records are kept for good; "
                    "revoke them instead."))
        return super().unlink()

    # --- state machine -------------------------------------------------------------------
    def _check_state_transition(self, target):
        """Server-side guard for every state change, whatever path it comes from."""
        self.ensure_one()
        if target == self.state:
            return
        if target not in TRANSITIONS.get(self.state, set()):
            raise UserError(_(
                "A record cannot go from %(from_state)s to %(to_state)s.",
                from_state=self._state_label(self.state), to_state=self._state_label(target)))
        if not self.env.su and not self.env.user.has_group(TRANSITION_GROUPS[target]):
            raise AccessError(_("You are not allowed to move a record to %(target)s.",
                                target=self._state_label(target)))
        check = getattr(self, f"_check_ready_for_{target}", None)
        if check:
            check()

    def _state_label(self, state):
        return dict(self._fields["state"]._description_selection(self.env)).get(state, state)

    def _check_ready_for_locked(self):
        missing = self._missing_results()
        if missing:
            raise UserError(_("The record of %(student)s is incomplete: %(missing)s.",
                              student=self.student_id.name, missing=", ".join(missing)))

    def _check_ready_for_gvbm_signed(self):
        unsigned = self.line_ids.filtered(lambda line: not line.gvbm_signed)
        if unsigned:
            raise UserError(_("Subject teachers have not signed yet: %(subjects)s.",
                              subjects=", ".join(unsigned.mapped("subject_id.name"))))

    def _missing_results(self):
        """Names of required results still empty (disabled students not rated are exempt)."""
        self.ensure_one()
        missing = []
        if not self.line_ids:
            missing.append(_("subjects"))
        if not self.homeroom_teacher_id:
            missing.append(_("homeroom teacher"))
        if not self.issue_date:
            missing.append(_("date of issue"))
        if self.student_id.disability_not_assessed:
            return missing
        for line in self.line_ids:
            if self.circular == "TT27":
                if not line.level:
                    missing.append(_("%(subject)s level", subject=line.subject_id.name))
                if line.assessment == "level_test" and not line.test_score:
                    missing.append(_("%(subject)s test score", subject=line.subject_id.name))
            elif not line.year_result:
                missing.append(_("%(subject)s year result", subject=line.subject_id.name))
        if self.circular == "TT27" and not self.year_level:
            missing.append(_("year result"))
        if self.circular == "TT22" and not (self.learning_year and self.conduct_year):
            missing.append(_("learning and conduct results"))
        return missing

    def _set_state(self, target, message=None):
        """Run a transition: guard, write, and a line in the chatter."""
        for record in self:
            record._check_state_transition(target)
        self.sudo().write({"state": target})
        if message:
            for record in self:
                record.message_post(body=message, subtype_xmlid="mail.mt_note")

    def action_lock(self):
        for record in self:
            if not record.issue_date:
                record.issue_date = fields.Date.context_today(record)
            record._fill_computed_results()
        self._set_state("locked", _("Results locked."))

    def action_unlock(self):
        for record in self:
            if record._is_signed():
                raise UserError(_("A signed record cannot be unlocked."))
        self._set_state("draft", _("Results unlocked for correction."))

    def action_compute_results(self):
        for record in self:
            if record._is_content_frozen():
                raise UserError(_("Results can be computed only on a draft record."))
            record._fill_computed_results()

    def _fill_computed_results(self):
        """Fill what the circulars define from the subject results, where still empty."""
        self.ensure_one()
        try:
            if self.circular == "TT27":
                self._fill_tt27()
            else:
                self._fill_tt22()
        except HocbasoError as err:
            raise_as_validation_error(self.env, err)

    def _fill_tt27(self):
        levels = {line.subject_code: line.level for line in self.line_ids if line.level}
        tests = {line.subject_code: line.test_score for line in self.line_ids if line.test_score}
        ratings = {name: self[name] for name, _l in COMPETENCY_FIELDS if self[name]}
        qualities = {name: self[name] for name, _l in QUALITY_FIELDS if self[name]}
        if len(levels) < len(self.line_ids) or len(ratings) < len(COMPETENCY_FIELDS) \
                or len(qualities) < len(QUALITY_FIELDS):
            return
        vals = {}
        if not self.year_level:
            vals["year_level"] = tt27.year_level(
                levels, tests, ratings, qualities, grade=self.grade_id.number,
                ratings_optional=self.student_id.disability_not_assessed)
        level = vals.get("year_level", self.year_level)
        if not self.award:
            vals["award"] = tt27.award_for(level)
        vals["completed_class"] = tt27.completes_class(level)
        vals["completed_primary"] = tt27.completes_primary(level, self.grade_id.code)
        vals["promoted"] = vals["completed_class"] and self.grade_id.number < 5
        if not self.completion_text:
            vals["completion_text"] = (
                "Hoàn thành chương trình tiểu học" if vals["completed_primary"]
                else "Hoàn thành chương trình lớp học" if vals["completed_class"]
                else "Chưa hoàn thành chương trình lớp học")
        self.write(vals)

    def _fill_tt22(self):
        scored, commented = [], []
        for line in self.line_ids:
            value = line.year_result
            if not value or value == "M":
                continue
            if line.assessment == "comment":
                commented.append(value)
            else:
                scored.append(validation.to_score(value))
        vals = {}
        if not self.learning_year and (scored or commented):
            vals["learning_year"] = tt22.learning_result(scored, commented)
        learning = vals.get("learning_year", self.learning_year)
        if learning and self.conduct_year:
            results = {line.subject_code: line.year_result for line in self.line_ids
                       if line.year_result}
            decision = tt22.promotion(learning, self.conduct_year, self.absences,
                                      subject_results=results)
            vals["promoted"] = decision.promoted
            if not self.promotion_text:
                vals["promotion_text"] = self._promotion_text(decision)
        if vals:
            self.write(vals)

    @staticmethod
    def _promotion_text(decision):
        """ndungduoclenlop, written in Vietnamese as it is printed on the record."""
        if decision.promoted:
            return "Được lên lớp"
        parts = []
        if decision.needs_retest:
            subjects = ", ".join(decision.retest_subjects)
            parts.append(f"Kiểm tra lại: {subjects}" if subjects else "Kiểm tra lại")
        if decision.needs_summer_training:
            parts.append("Rèn luyện trong kỳ nghỉ hè")
        return "; ".join(parts) or "Ở lại lớp"

    def _mark_subject_signed(self, lines):
        """Called by the signing layer once a subject teacher's signature is in place."""
        lines.sudo().write({"gvbm_signed": True, "gvbm_signed_date": fields.Datetime.now()})
        for record in lines.mapped("record_id"):
            if all(record.line_ids.mapped("gvbm_signed")) and record.state == "locked":
                record._set_state("gvbm_signed", _("All subject teachers have signed."))

    def _revoke(self, reason):
        if not (reason or "").strip():
            raise UserError(_("Give the reason for revoking the record."))
        self._set_state("revoked")
        self.sudo().write({"revoke_reason": reason.strip(), "revoked_on": fields.Datetime.now()})
        for record in self:
            record.message_post(body=_("Record revoked: %(reason)s", reason=reason.strip()))

    def action_create_correction(self):
        """Correction = a new version n+1, to be signed again from the start."""
        self.ensure_one()
        if self.state not in ("issued", "revoked"):
            raise UserError(_("Only an issued or revoked record can be corrected."))
        if self.search_count([("previous_version_id", "=", self.id)]):
            raise UserError(_("A corrected version of this record already exists."))
        if not self.env.user.has_group("hocbaso_odoo.group_homeroom_teacher"):
            raise AccessError(_("Only the homeroom teacher or the school can start a correction."))
        latest = self.search([("record_uuid", "=", self.record_uuid)], order="version desc", limit=1)
        new = self.sudo().copy({
            "record_uuid": self.record_uuid,
            "version": latest.version + 1,
            "previous_version_id": self.id,
            "state": "draft",
            "issue_date": False,
            "line_ids": [(0, 0, line.copy_data({"record_id": False})[0]) for line in self.line_ids],
            "certificate_ids": [(0, 0, c.copy_data({"record_id": False})[0])
                                for c in self.certificate_ids],
        })
        new.message_post(body=_("Correction of version %(version)s.", version=self.version))
        return {
            "type": "ir.actions.act_window",
            "res_model": "hocbaso.record",
            "res_id": new.id,
            "view_mode": "form",
        }

    def _on_issued(self):
        """A newly issued version supersedes the one it corrects."""
        for record in self.filtered("previous_version_id"):
            previous = record.previous_version_id
            if previous.state == "issued":
                previous._set_state("superseded", _("Superseded by version %(version)s.",
                                                    version=record.version))
