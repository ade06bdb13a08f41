import collections
import uuid

from odoo import api, fields, models, _
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso import roles, timeutil


from ..tools import workflow

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

def expand_states(records, states, domain):
    """group_expand of a workflow state: every step, in workflow order, even when empty."""
    return [key for key, _label in STATES]


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

# Who may move a record into a state (server-side, on top of access rights): any of the groups.
# The school administrator locks and unlocks results (closing the school's books) but signs
# nothing unless given a signing role.
RESULT_GROUPS = ("hocbaso_odoo.group_homeroom_teacher", "hocbaso_odoo.group_school_admin")
TRANSITION_GROUPS = {
    "draft": RESULT_GROUPS,
    "locked": RESULT_GROUPS,
    # each signing step: the group that signs it (the library's roles table)
    **{role.state_after: (role.group,) for role in roles.ROLES},
    "revoked": ("hocbaso_odoo.group_issuer",),
    "superseded": ("hocbaso_odoo.group_issuer",),
}

# cr.cache key: (record id, from state, to state) already guarded by _set_state in this
# transaction, so the write it makes does not run the same (possibly costly) checks again.
# Kept on the cursor, out of reach of an RPC caller's context.
GUARDED_TRANSITIONS = "hocbaso.guarded_transitions"

SIGNED_STATES = ("gvbm_signed", "gvcn_signed", "leader_signed", "issued", "revoked", "superseded")
LIVE_STATES = ("draft", "locked", "gvbm_signed", "gvcn_signed", "leader_signed", "issued")

TT27_RATING = [("T", "T – Good"), ("Đ", "Đ – Achieved"), ("C", "C – Needs effort")]
TT22_RESULT = [("T", "T – Good"), ("K", "K – Fair"), ("Đ", "Đ – Passed"), ("CĐ", "CĐ – Not passed")]
TT27_YEAR_LEVEL = [("HTXS", "Completed excellently"), ("HTT", "Completed well"),
                   ("HT", "Completed"), ("CHT", "Not completed")]

# TT27 competencies and qualities: one rating field each, declared on the record below.
GENERAL_COMPETENCY_FIELDS = ("nangluctuhoc", "nanglucgiaotiep", "nanglucgiaiquyet")
SPECIFIC_COMPETENCY_FIELDS = (
    "nanglucngonngu", "nangluctinhtoan", "nangluckhoahoc", "nangluccongnghe", "nangluctinhoc",
    "nanglucthammi", "nanglucthechat",
)
COMPETENCY_FIELDS = GENERAL_COMPETENCY_FIELDS + SPECIFIC_COMPETENCY_FIELDS
QUALITY_FIELDS = (
    "phamchatyeunuoc", "phamchatnhanai", "phamchatchamchi", "phamchattrungthuc",
    "phamchattrachnhiem",
)

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
        "completed_lower_secondary",
    }
    | set(COMPETENCY_FIELDS) | set(QUALITY_FIELDS)
)


class HocbasoRecord(models.Model):
    """The học bạ: one per student per school year, versioned, signed, then immutable."""

    _name = "hocbaso.record"
    _description = "Digital School Record"
    _inherit = ["mail.thread", "mail.activity.mixin", "hocbaso.sealed.mixin"]
    _order = "school_year_id desc, class_id, student_id, version desc"
    _check_company_auto = True
    _rec_names_search = ["student_id.name", "student_id.personal_id", "record_uuid"]

    _expand_states = expand_states

    name = fields.Char(compute="_compute_name", store=True)
    record_uuid = fields.Char(
        string="Record ID", required=True, readonly=True, copy=False, index=True,
        default=lambda self: str(uuid.uuid4()),
        help="madinhdanhhocba: the same for every version of this record.",
    )
    # a version number, not a quantity: group totals must not add it up
    version = fields.Integer(required=True, default=1, readonly=True,
                             copy=False, aggregator=None)
    previous_version_id = fields.Many2one("hocbaso.record",
                                          readonly=True, copy=False)
    next_version_id = fields.Many2one("hocbaso.record", string="Corrected Version",
                                      compute="_compute_next_version")
    state = fields.Selection(STATES, default="draft", required=True, readonly=True, copy=False,
                             tracking=True, index=True,
                             group_expand="_expand_states")
    company_id = fields.Many2one("res.company", string="School", required=True,
                                 default=lambda self: self.env.company, index=True)
    student_id = fields.Many2one("hocbaso.student", required=True,
                                 check_company=True, index=True, tracking=True)
    personal_id = fields.Char(related="student_id.personal_id", string="Personal ID")
    class_id = fields.Many2one("hocbaso.class", required=True, check_company=True,
                               index=True)
    school_year_id = fields.Many2one("hocbaso.school.year", required=True,
                                     index=True)
    grade_id = fields.Many2one(related="class_id.grade_id", store=True)
    level_id = fields.Many2one(related="class_id.level_id", store=True)
    circular = fields.Selection(
        [("TT27", "TT27/2020 (primary)"), ("TT22", "TT22/2021 (secondary)")],
        compute="_compute_circular", store=True,
    )
    is_extract = fields.Boolean(string="Digitised from Paper")  # <trichluc> in the XML
    issue_date = fields.Date(
        string="Date of Issue",
        tracking=True,
        readonly=True, copy=False,
        help="The date the signed document states: the day its results were locked. Shown "
             "once the record is issued.",
    )
    issue_place = fields.Char(string="Place of Issue", compute="_compute_issue_place",
                              store=True, readonly=False, precompute=True)
    homeroom_teacher_id = fields.Many2one("res.users",
                                          check_company=True, tracking=True)
    leader_id = fields.Many2one("res.users", string="Signing Leader", check_company=True,
                                tracking=True, help="Principal or vice-principal who signs.")
    leader_title = fields.Char(string="Leader's Title")  # <chucvugiamhieu> in the XML
    homeroom_comment = fields.Text(string="Homeroom Teacher's Comment", tracking=True)
    line_ids = fields.One2many("hocbaso.record.line", "record_id", string="Subjects")
    certificate_ids = fields.One2many("hocbaso.record.certificate", "record_id",
                                      string="Certificates")
    line_signed_count = fields.Integer(compute="_compute_line_signed_count")
    # TT27 (primary)
    quality_comment = fields.Text(string="Comment on Qualities", tracking=True)
    general_competency_comment = fields.Text(string="Comment on General Competencies",
                                             tracking=True)
    specific_competency_comment = fields.Text(string="Comment on Specific Competencies",
                                              tracking=True)
    year_level = fields.Selection(TT27_YEAR_LEVEL, string="Year Result", tracking=True)
    award = fields.Char(tracking=True)
    special_award = fields.Char(string="Ad-hoc Award", tracking=True)
    completed_class = fields.Boolean(string="Completed the Class Programme", tracking=True)
    completed_primary = fields.Boolean(string="Completed Primary School", tracking=True)
    completion_text = fields.Char(string="Completion Note", tracking=True)
    absent_excused = fields.Integer(string="Absences with Leave", tracking=True)
    absent_unexcused = fields.Integer(string="Absences without Leave", tracking=True)
    weight_kg = fields.Char(string="Weight (kg)")
    height_cm = fields.Char(string="Height (cm)")
    # TT22 (secondary)
    learning_s1 = fields.Selection(TT22_RESULT, string="Learning, Sem. 1", tracking=True)
    learning_s2 = fields.Selection(TT22_RESULT, string="Learning, Sem. 2", tracking=True)
    learning_year = fields.Selection(TT22_RESULT, string="Learning, Year", tracking=True)
    conduct_s1 = fields.Selection(TT22_RESULT, string="Conduct, Sem. 1", tracking=True)
    conduct_s2 = fields.Selection(TT22_RESULT, string="Conduct, Sem. 2", tracking=True)
    conduct_year = fields.Selection(TT22_RESULT, string="Conduct, Year", tracking=True)
    conduct_reassessed = fields.Selection(TT22_RESULT, string="Conduct after Summer Training",
                                          tracking=True)
    learning_reassessed = fields.Selection(TT22_RESULT, string="Learning after Re-test",
                                           tracking=True)
    summer_training_note = fields.Text(tracking=True)
    absences = fields.Integer(string="Absences (half-days)", tracking=True)
    promoted = fields.Boolean(tracking=True)
    promotion_text = fields.Char(string="Promotion Note", tracking=True)
    competition_results = fields.Text(tracking=True)
    # revocation
    revoke_reason = fields.Text(string="Reason for Revocation", readonly=True, copy=False,
                                tracking=True)
    revoked_on = fields.Datetime(readonly=True, copy=False)
    active = fields.Boolean(default=True)

    # TT27 ratings (T/Đ/C) of the competencies and qualities, named as in COMPETENCY_FIELDS
    # and QUALITY_FIELDS
    nangluctuhoc = fields.Selection(TT27_RATING, string="Self-control and self-study",
                                    tracking=True)
    nanglucgiaotiep = fields.Selection(TT27_RATING, string="Communication and cooperation",
                                       tracking=True)
    nanglucgiaiquyet = fields.Selection(TT27_RATING, string="Problem solving and creativity",
                                        tracking=True)
    nanglucngonngu = fields.Selection(TT27_RATING, string="Language", tracking=True)
    nangluctinhtoan = fields.Selection(TT27_RATING, string="Numeracy", tracking=True)
    nangluckhoahoc = fields.Selection(TT27_RATING, string="Science", tracking=True)
    nangluccongnghe = fields.Selection(TT27_RATING, string="Technology", tracking=True)
    nangluctinhoc = fields.Selection(TT27_RATING, string="Informatics", tracking=True)
    nanglucthammi = fields.Selection(TT27_RATING, string="Aesthetics", tracking=True)
    nanglucthechat = fields.Selection(TT27_RATING, string="Physical", tracking=True)
    phamchatyeunuoc = fields.Selection(TT27_RATING, string="Patriotism", tracking=True)
    phamchatnhanai = fields.Selection(TT27_RATING, string="Kindness", tracking=True)
    phamchatchamchi = fields.Selection(TT27_RATING, string="Diligence", tracking=True)
    phamchattrungthuc = fields.Selection(TT27_RATING, string="Honesty", tracking=True)
    phamchattrachnhiem = fields.Selection(TT27_RATING, string="Responsibility", tracking=True)

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
    @api.depends("company_id")
    def _compute_issue_place(self):
        """The record's school's place (not the creating user's current company's): what the
        XML states and the printed form writes before the date. Set once, when the record is
        made for its school: a later change of the school's settings leaves records alone."""
        for record in self:
            record.issue_place = record.company_id._hocbaso_issue_place()

    @api.depends("student_id.name", "school_year_id.name", "version")
    def _compute_name(self):
        for record in self:
            version = f" v{record.version}" if record.version > 1 else ""
            record.name = (
                f"{record.student_id.name or ''} – {record.school_year_id.name or ''}{version}"
            )

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
        live = self.filtered(lambda record: record.state in LIVE_STATES)
        if not live:
            return
        # one search for the whole batch; as superuser, so rules cannot hide a duplicate
        existing = collections.defaultdict(list)
        for other in self.sudo().search([
                ("student_id", "in", live.student_id.ids),
                ("school_year_id", "in", live.school_year_id.ids),
                ("state", "in", LIVE_STATES)], order="id"):
            existing[other.student_id.id, other.school_year_id.id].append(other)
        for record in live:
            if any(other.id != record.id and other.record_uuid != record.record_uuid
                   for other in existing[record.student_id.id, record.school_year_id.id]):
                raise ValidationError(_(
                    "%(student)s already has a record for %(year)s. Correct that record "
                    "instead of creating another one.",
                    student=record.student_id.name, year=record.school_year_id.name))

    @api.constrains("class_id", "school_year_id", "student_id")
    def _check_class_year(self):
        for record in self:
            if record.class_id.school_year_id != record.school_year_id:
                raise ValidationError(
                    _(
                        "The class %(klass)s does not belong to school year %(year)s.",
                        klass=record.class_id.name,
                        year=record.school_year_id.name,
                    )
                )

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

    def _hocbaso_owner(self):
        return self

    @api.model
    def _hocbaso_owner_of_vals(self, vals):
        return self.browse()  # a new record carries no signature

    def write(self, vals):
        # locked but not signed yet: the homeroom teacher may unlock it (signed records are
        # refused whatever the field by hocbaso.sealed.mixin)
        if RECORD_CONTENT_FIELDS.intersection(vals):
            self.check_access("write")  # who may not write at all hears that first
            for record in self:
                if record.state == "locked" and not record._is_signed() \
                        and not record.correction_open:
                    raise UserError(_(
                        "The record of %(student)s is %(state)s: its content cannot be "
                        "changed. Unlock the results first.", student=record.student_id.name,
                        state=record._state_label(record.state)))
        if "state" in vals:
            guarded = self.env.cr.cache.get(GUARDED_TRANSITIONS, ())
            for record in self:
                if (record.id, record.state, vals["state"]) not in guarded:
                    record._check_state_transition(vals["state"])
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        for record in self:
            if record.state != "draft" or record._is_signed():
                raise UserError(_(
                    "Only draft records can be deleted. Signed records are kept for good; "
                    "revoke them instead."))

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
        if not self.env.su and not any(
                self.env.user.has_group(group) for group in TRANSITION_GROUPS[target]):
            raise AccessError(_("You are not allowed to move a record to %(target)s.",
                                target=self._state_label(target)))
        self._check_ready_for(target)

    def _state_label(self, state):
        env = self.env(context=dict(self.env.context, lang=self._hocbaso_reader_lang()))
        return dict(self._fields["state"]._description_selection(env)).get(state, state)

    def _check_ready_for(self, target):
        """What the record must hold before it moves to ``target``. The hook the sign addon
        extends with the signature each step needs."""
        if target == "locked":
            missing = self._missing_results()
            if missing:
                raise UserError(_("The record of %(student)s is incomplete: %(missing)s.",
                                  student=self.student_id.name, missing=", ".join(missing)))
        elif target == "gvbm_signed":
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

    def _set_state(self, target, message=None, author=None, tracked_before=None):
        """Run a transition on every record: guard each, one write, and one chatter note per
        record holding ``message`` and the state change (written in one batch).

        ``tracked_before``: {record id: {field: value before}} of other tracked fields the
        caller changed without tracking, shown in the same note."""
        if not self:
            return
        for record in self:
            record._check_state_transition(target)
        before = {record.id: dict((tracked_before or {}).get(record.id, {}), state=record.state)
                  for record in self}
        keys = {(record.id, record.state, target) for record in self}
        guarded = self.env.cr.cache.setdefault(GUARDED_TRANSITIONS, set())
        guarded.update(keys)
        try:
            with workflow(self.env):
                self.sudo().with_context(mail_notrack=True).write({"state": target})
        finally:
            guarded.difference_update(keys)
        self._log_note_batch(message or "", before, author)

    def _log_note_batch(self, body, tracked_before=None, author=None):
        """One internal note per record (no notification), with the tracked values changed
        since ``tracked_before``, through mail.thread's batch log: one message create for the
        whole class, then one create of all their tracking values. The callers checked
        access."""
        if not self:
            return
        tracked_before = tracked_before or {}
        names = sorted({name for values in tracked_before.values() for name in values})
        columns = self.fields_get(names, attributes=("string", "type", "selection",
                                                      "currency_field")) if names else {}
        tracking = {}
        for record in self.filtered(lambda r: r.id in tracked_before):
            _changes, commands = record._mail_track(columns, tracked_before[record.id])
            if commands:
                tracking[record.id] = [command[2] for command in commands]
        noted = self if body else self.filtered(lambda r: r.id in tracking)
        if not noted:
            return
        messages = noted._message_log_batch(
            {record.id: body for record in noted},
            author_id=author.partner_id.id if author else None)
        self.env["mail.tracking.value"].sudo().create([
            dict(values, mail_message_id=message.id)
            for message in messages for values in tracking.get(message.res_id, ())])

    def action_lock(self):
        # the date the document states is the day its results were locked, whatever was
        # typed before (nobody plans it: P2.14); the printed form shows the issuance's day.
        # Both on the school's clock, not the server's or the user's time zone (none in the
        # demo): a lock at 23:30 UTC is the next morning's in Vietnam.
        today = timeutil.to_vn(timeutil.now_utc()).date()
        changed = self.filtered(lambda record: record.issue_date != today)
        before = {record.id: {"issue_date": record.issue_date} for record in changed}
        if changed:
            changed.check_access("write")  # the workflow's write below skips the hand check
            with workflow(self.env):  # a system field: refused when written by hand
                changed.with_context(mail_notrack=True).write({"issue_date": today})
        # untracked: the note of _set_state carries the changes (a tracked write here would
        # make Odoo post a second, tracking-only note per record)
        self.with_context(mail_notrack=True)._fill_computed_results()
        self._set_state("locked", _("Results locked."), tracked_before=before)

    def action_unlock(self):
        for record in self:
            if record._is_signed():
                raise UserError(_("A signed record cannot be unlocked."))
        self._set_state("draft", _("Results unlocked for correction."))

    def _mark_subject_signed(self, lines, notes=None, author=None):
        """Called by the signing layer once subject teachers' signatures are in place: mark
        ``lines`` signed and move the records whose subjects are now all signed on. ``notes``
        ({record id: text}) goes before the chatter line of those records. Returns them."""
        with workflow(self.env):
            lines.sudo().write({"gvbm_signed": True, "gvbm_signed_date": fields.Datetime.now(),
                                "correction_open": False})
        complete = lines.record_id.filtered(
            lambda record: record.state == "locked" and all(record.line_ids.mapped("gvbm_signed")))
        all_signed = _("All subject teachers have signed.")
        notes = notes or {}
        for note, group in complete.grouped(lambda record: notes.get(record.id, "")).items():
            group._set_state("gvbm_signed", f"{note} {all_signed}" if note else all_signed,
                             author=author)
        return complete

    def _revoke(self, reason):
        if not (reason or "").strip():
            raise UserError(_("Give the reason for revoking the record."))
        self._set_state("revoked", _("Record revoked: %(reason)s", reason=reason.strip()))
        # the reason is in the note above: no second tracking note
        with workflow(self.env):
            self.sudo().with_context(mail_notrack=True).write(
                {"revoke_reason": reason.strip(), "revoked_on": fields.Datetime.now()})

    def action_create_correction(self):
        """Correction = a new version n+1, to be signed again from the start."""
        self.ensure_one()
        if self.state not in ("issued", "revoked"):
            raise UserError(_("Only an issued or revoked record can be corrected."))
        if self.search_count([("previous_version_id", "=", self.id)]):
            raise UserError(_("A corrected version of this record already exists."))
        if not self.env.user.has_group("hocbaso_odoo.group_homeroom_teacher"):
            raise AccessError(_("Only the homeroom teacher or the school can start a correction."))
        latest = self.search(
            [("record_uuid", "=", self.record_uuid)], order="version desc", limit=1
        )
        with workflow(self.env):
            new = self._copy_as_correction(latest)
        new.message_post(body=_("Correction of version %(version)s.", version=self.version))
        return {
            "type": "ir.actions.act_window",
            "res_model": "hocbaso.record",
            "res_id": new.id,
            "view_mode": "form",
        }

    def _copy_as_correction(self, latest):
        return self.sudo().copy({
            "record_uuid": self.record_uuid,
            "version": latest.version + 1,
            "previous_version_id": self.id,
            "state": "draft",
            "issue_date": False,
            "line_ids": [(0, 0, line.copy_data({"record_id": False})[0]) for line in self.line_ids],
            "certificate_ids": [(0, 0, c.copy_data({"record_id": False})[0])
                                for c in self.certificate_ids],
        })

    def _on_issued(self):
        """A newly issued version supersedes the one it corrects."""
        for record in self.filtered("previous_version_id"):
            previous = record.previous_version_id
            if previous.state == "issued":
                previous._set_state("superseded", _("Superseded by version %(version)s.",
                                                    version=record.version))
