"""Create or update School Records classes, students and records from an OpenEduCat batch."""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso import validation
from hocbaso.errors import HocbasoError

from odoo.addons.hocbaso_odoo.models.hocbaso_record import LIVE_STATES
from odoo.addons.hocbaso_odoo.tools import lib_message

_logger = logging.getLogger(__name__)

AVERAGE_FIELDS = ("semester1", "semester2")


class HocbasoOpenEduCatImport(models.TransientModel):
    _name = "hocbaso.openeducat.import"
    _description = "Create School Records from OpenEduCat"

    batch_id = fields.Many2one("op.batch", required=True)
    course_id = fields.Many2one(related="batch_id.course_id")
    company_id = fields.Many2one(
        "res.company", string="School", required=True, default=lambda self: self.env.company,
        domain=[("hocbaso_is_school", "=", True)])
    academic_year_id = fields.Many2one(
        "op.academic.year",
        compute="_compute_defaults", store=True, readonly=False,
        help="Gives the school year (YYYY-YYYY). When empty, the batch dates are used.")
    class_name = fields.Char(size=10, compute="_compute_defaults",
                             store=True, readonly=False)
    grade_id = fields.Many2one("hocbaso.grade", compute="_compute_defaults",
                               store=True, readonly=False)
    homeroom_faculty_id = fields.Many2one("op.faculty", string="Homeroom Teacher")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    class_id = fields.Many2one("hocbaso.class", readonly=True)
    student_created_count = fields.Integer(string="Students Created", readonly=True)
    student_updated_count = fields.Integer(string="Students Updated", readonly=True)
    record_created_count = fields.Integer(string="Records Created", readonly=True)
    line_updated_count = fields.Integer(string="Subject Results Updated", readonly=True)
    record_untouched_count = fields.Integer(
        string="Locked or Signed Records Left Untouched", readonly=True)
    skip_ids = fields.One2many("hocbaso.openeducat.import.skip", "wizard_id",
                               string="Skipped Students", readonly=True)
    warning_text = fields.Text(string="Warnings", readonly=True)

    @api.depends("batch_id")
    def _compute_defaults(self):
        for wizard in self:
            batch = wizard.batch_id
            if not batch:
                continue
            wizard.class_name = (batch.code or batch.name or "")[:10]
            wizard.grade_id = batch.course_id.hocbaso_grade_id
            years = self.env["op.student.course"].search(
                [("batch_id", "=", batch.id)]).mapped("academic_years_id")
            if not years:
                years = self.env["op.academic.year"].search(
                    [("start_date", "<=", batch.start_date), ("end_date", ">=", batch.start_date)])
            wizard.academic_year_id = years[:1]

    # --- steps -----------------------------------------------------------------------------
    def _school_year(self):
        if self.academic_year_id:
            return self.academic_year_id._hocbaso_school_year()
        batch = self.batch_id
        return self.env["hocbaso.school.year"]._hocbaso_get_or_create(
            f"{batch.start_date.year}-{batch.end_date.year}", batch.start_date, batch.end_date)

    def _get_class(self, year):
        Class = self.env["hocbaso.class"]
        klass = Class.search([("op_batch_id", "=", self.batch_id.id),
                              ("school_year_id", "=", year.id),
                              ("company_id", "=", self.company_id.id)], limit=1)
        homeroom = self.homeroom_faculty_id._hocbaso_user() if self.homeroom_faculty_id else False
        if self.homeroom_faculty_id and not homeroom:
            raise UserError(_("Homeroom teacher %(name)s has no user: set the teacher user on "
                              "the faculty first.", name=self.homeroom_faculty_id.name))
        if not klass:
            name = (self.class_name or "").strip()
            if not name or not self.grade_id:
                raise UserError(_("Give the class name and the grade of the class."))
            klass = Class.search([("name", "=", name), ("school_year_id", "=", year.id),
                                  ("company_id", "=", self.company_id.id)], limit=1)
            if klass and klass.op_batch_id:
                raise UserError(_(
                    "Class %(klass)s already belongs to batch %(batch)s: choose another class "
                    "name.", klass=klass.display_name, batch=klass.op_batch_id.name))
            if klass:
                klass.op_batch_id = self.batch_id
            else:
                klass = Class.create({
                    "name": name, "school_year_id": year.id, "grade_id": self.grade_id.id,
                    "company_id": self.company_id.id, "op_batch_id": self.batch_id.id,
                    "homeroom_teacher_id": homeroom and homeroom.id,
                })
        if homeroom and klass.homeroom_teacher_id != homeroom:
            klass.homeroom_teacher_id = homeroom
        return klass

    def _op_students(self):
        lines = self.env["op.student.course"].search([("batch_id", "=", self.batch_id.id),
                                                      ("state", "=", "running")])
        if self.academic_year_id:
            lines = lines.filtered(lambda line: not line.academic_years_id
                                   or line.academic_years_id == self.academic_year_id)
        return lines.mapped("student_id").filtered("active").sorted("name")

    def _student_vals(self, op_student, personal_id, klass):
        return {
            "name": op_student.name.strip(),
            "personal_id": personal_id,
            "sex": op_student._hocbaso_sex(),
            "birth_date": op_student._hocbaso_birth_date(),
            "student_code": (op_student.gr_no or "")[:20] or False,
            "class_id": klass.id,
            "company_id": self.company_id.id,
            "op_student_id": op_student.id,
        }

    def _sync_student(self, op_student, klass, skips, counts, warnings):
        """The hocbaso.student of ``op_student``, created or updated; None when skipped."""
        def skip(reason):
            skips.append({"op_student_id": op_student.id, "reason": reason})

        raw = (op_student.hocbaso_personal_id or "").strip()
        if not raw:
            skip(_("No personal ID number: enter the 12-digit number on the student form."))
            return None
        sex = op_student._hocbaso_sex()
        try:
            personal_id = validation.check_personal_id(
                raw, birth_date=op_student._hocbaso_birth_date() or None,
                sex=sex if sex in ("1", "2") else None)
        except HocbasoError as err:
            skip(_("Invalid personal ID number %(pid)s: %(problem)s", pid=raw,
                   problem=lib_message(self.env, err)))
            return None
        Student = self.env["hocbaso.student"].with_context(active_test=False)
        student = Student.search([("op_student_id", "=", op_student.id)], limit=1)
        if not student:
            student = Student.search([("personal_id", "=", personal_id)], limit=1)
            if student.op_student_id:
                skip(_("Personal ID number %(pid)s already belongs to %(name)s.",
                       pid=personal_id, name=student.op_student_id.name))
                return None
        if student and student.company_id != self.company_id:
            skip(_("The student is registered at another school (%(school)s).",
                   school=student.company_id.name))
            return None
        if student:
            elsewhere = self.env["hocbaso.record"].search([
                ("student_id", "=", student.id), ("school_year_id", "=", klass.school_year_id.id),
                ("class_id", "!=", klass.id), ("state", "in", LIVE_STATES)], limit=1)
            if elsewhere:
                skip(_("%(name)s already has a record for %(year)s in class %(klass)s: "
                       "transfer the student in School Records first.", name=student.name,
                       year=klass.school_year_id.name, klass=elsewhere.class_id.name))
                return None
        vals = self._student_vals(op_student, personal_id, klass)
        try:
            with self.env.cr.savepoint():
                if student:
                    # what OpenEduCat does not know never erases what School Records has
                    changed = {k: v for k, v in vals.items()
                               if v and not (k == "sex" and v == "0")
                               and (student[k].id if isinstance(student[k], models.BaseModel)
                                    else student[k]) != v}
                    if changed:
                        student.write(changed)
                        counts["updated"] += 1
                else:
                    student = Student.create(vals)
                    counts["created"] += 1
        except (ValidationError, UserError) as err:
            skip(str(err.args[0]))
            return None
        if not student.student_code:
            warnings.append(_(
                "%(name)s has no registration number (student code): enter it on the "
                "OpenEduCat student before the record is locked.", name=student.name))
        return student

    def _sync_assignments(self, klass, rows, warnings):
        Assignment = self.env["hocbaso.teaching.assignment"]
        for subject in rows.mapped("subject_id"):
            subject_rows = rows.filtered(lambda r: r.subject_id == subject)
            if subject.level_id != klass.level_id:
                warnings.append(_("%(subject)s is not a subject of level %(level)s: not assigned.",
                                  subject=subject.name, level=klass.level_id.name))
                continue
            teacher = self.env["res.users"]
            for row in subject_rows.sorted(lambda r: not r.faculty_id):
                teacher = row._teacher()
                if teacher:
                    break
            assignment = klass.assignment_ids.filtered(lambda a: a.subject_id == subject)
            if not teacher:
                if not assignment:
                    warnings.append(_(
                        "No teacher user found for %(subject)s: set the faculty on the subject "
                        "mapping and a user on the faculty.", subject=subject.name))
                continue
            if assignment and assignment.teacher_id != teacher:
                assignment.teacher_id = teacher
            elif not assignment:
                Assignment.create({"class_id": klass.id, "subject_id": subject.id,
                                   "teacher_id": teacher.id})

    def _add_missing_lines(self, records):
        """Draft records get a line for subjects assigned after they were created."""
        Line = self.env["hocbaso.record.line"]
        for record in records.filtered(lambda r: not r._is_content_frozen()):
            have = record.line_ids.mapped("subject_id")
            for assignment in record.class_id.assignment_ids:
                if assignment.subject_id not in have:
                    Line.create({"record_id": record.id, "subject_id": assignment.subject_id.id,
                                 "teacher_id": assignment.teacher_id.id,
                                 "sequence": assignment.subject_id.sequence})

    def _sync_marks(self, records, rows, warnings):
        updated = untouched = 0
        for record in records:
            op_student = record.student_id.op_student_id
            if not op_student:
                continue
            if record._is_content_frozen():
                untouched += 1
                continue
            for line in record.line_ids:
                vals = {}
                for row in rows.filtered(lambda r: r.subject_id == line.subject_id
                                         and r.target_field != "none"):
                    value, warning = row._value(self.batch_id, op_student)
                    if warning:
                        warnings.append(
                            _(
                                "%(student)s: %(warning)s",
                                student=record.student_id.name,
                                warning=warning,
                            )
                        )
                    if value is not None:
                        vals[row.target_field] = value
                vals = {k: v for k, v in line._normalise_vals(dict(vals)).items() if line[k] != v}
                if not vals:
                    continue
                # components first: writing an average in the same call would keep Odoo from
                # recomputing the other average (both come from one compute method)
                components = {k: v for k, v in vals.items() if k not in AVERAGE_FIELDS}
                averages = {k: v for k, v in vals.items() if k in AVERAGE_FIELDS}
                try:
                    with self.env.cr.savepoint():
                        for part in (components, averages):
                            if part:
                                line.write(part)
                    updated += 1
                except (ValidationError, UserError) as err:
                    warnings.append(_("%(student)s, %(subject)s: %(error)s",
                                      student=record.student_id.name, subject=line.subject_id.name,
                                      error=err.args[0]))
        return updated, untouched

    # --- action ----------------------------------------------------------------------------
    def action_import(self):
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group("hocbaso_odoo.group_school_admin"):
            raise AccessError(_("Only the school administrator can create records from "
                                "OpenEduCat."))
        if not self.company_id.hocbaso_is_school:
            raise UserError(
                _("%(company)s is not set up as a school.", company=self.company_id.name)
            )
        rows = self.env["hocbaso.openeducat.subject.map"]._for_batch(self.batch_id, self.company_id)
        if not rows:
            raise UserError(_("Map the OpenEduCat subjects to School Records subjects first "
                              "(School Records › Configuration › OpenEduCat Subjects)."))
        year = self._school_year()
        klass = self._get_class(year)
        warnings, skips = [], []
        counts = {"created": 0, "updated": 0}
        for op_student in self._op_students():
            self._sync_student(op_student, klass, skips, counts, warnings)
        self._sync_assignments(klass, rows, warnings)
        if not klass.assignment_ids:
            raise UserError(_("No subject of class %(klass)s has a teacher: %(warnings)s",
                              klass=klass.display_name, warnings=" ".join(warnings)))
        Record = self.env["hocbaso.record"]
        before = Record.search_count([("class_id", "=", klass.id)])
        klass._generate_records()
        records = Record.search([("class_id", "=", klass.id),
                                 ("state", "not in", ("revoked", "superseded"))])
        self._add_missing_lines(records)
        updated, untouched = self._sync_marks(records, rows, warnings)
        self.write({
            "state": "done",
            "class_id": klass.id,
            "student_created_count": counts["created"],
            "student_updated_count": counts["updated"],
            "record_created_count": Record.search_count([("class_id", "=", klass.id)]) - before,
            "line_updated_count": updated,
            "record_untouched_count": untouched,
            "skip_ids": [(5, 0, 0)] + [(0, 0, vals) for vals in skips],
            "warning_text": "\n".join(warnings) or False,
        })
        _logger.info("OpenEduCat batch %s -> class %s: %s students created, %s updated, %s "
                     "skipped, %s records created", self.batch_id.id, klass.id, counts["created"],
                     counts["updated"], len(skips), self.record_created_count)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_open_records(self):
        self.ensure_one()
        return self.class_id.action_open_records()


class HocbasoOpenEduCatImportSkip(models.TransientModel):
    _name = "hocbaso.openeducat.import.skip"
    _description = "Student Skipped by the OpenEduCat Import"

    wizard_id = fields.Many2one("hocbaso.openeducat.import", required=True, ondelete="cascade")
    op_student_id = fields.Many2one("op.student", string="Student", readonly=True)
    reason = fields.Char(readonly=True)
