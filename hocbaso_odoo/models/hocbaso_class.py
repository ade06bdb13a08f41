from odoo import api, fields, models, _
from odoo.exceptions import UserError, ValidationError


class HocbasoClass(models.Model):
    _name = "hocbaso.class"
    _description = "Class"
    _inherit = ["mail.thread"]
    _order = "school_year_id desc, grade_id, name"
    _check_company_auto = True

    name = fields.Char(string="Class Name", required=True, size=10, help="tenlop, e.g. 6A1")
    company_id = fields.Many2one(
        "res.company", string="School", required=True, default=lambda self: self.env.company
    )
    school_year_id = fields.Many2one("hocbaso.school.year", required=True)
    grade_id = fields.Many2one("hocbaso.grade", required=True)
    level_id = fields.Many2one(related="grade_id.level_id", store=True)
    homeroom_teacher_id = fields.Many2one(
        "res.users", tracking=True, check_company=True, index=True,
        domain=lambda self: self.env["res.users"]._hocbaso_staff_domain(
            "hocbaso_odoo.group_homeroom_teacher"),
    )
    student_ids = fields.One2many("hocbaso.student", "class_id", string="Students")
    assignment_ids = fields.One2many(
        "hocbaso.teaching.assignment", "class_id", string="Teaching Assignments"
    )
    record_ids = fields.One2many("hocbaso.record", "class_id", string="Records")
    is_my_homeroom = fields.Boolean(
        string="My Homeroom Class", compute="_compute_is_my_homeroom",
        help="You are its homeroom teacher (or the school admin): its records are yours to "
             "create and lock.")
    student_count = fields.Integer(compute="_compute_counts")
    record_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        (
            "name_year_company_unique",
            "UNIQUE(name, school_year_id, company_id)",
            "This class already exists in this school year.",
        ),
    ]

    @api.depends("student_ids", "record_ids")
    def _compute_counts(self):
        # the class's size, whoever looks (a subject teacher's record rules hide other
        # classes' students): counted as superuser, the count only, never the students
        saved = [klass._origin.id for klass in self if klass._origin.id]
        counts = {}
        if saved:
            for klass, company, count in self.env["hocbaso.student"].sudo()._read_group(
                    [("class_id", "in", saved)], ["class_id", "company_id"], ["__count"]):
                if company == klass.company_id:  # the class's own school only
                    counts[klass.id] = count
        for klass in self:
            klass.student_count = counts.get(klass._origin.id, 0) if klass._origin.id \
                else len(klass.student_ids)
            klass.record_count = len(klass.record_ids)

    @api.depends("homeroom_teacher_id")
    @api.depends_context("uid")
    def _compute_is_my_homeroom(self):
        admin = self.env.user.has_group("hocbaso_odoo.group_school_admin")
        for klass in self:
            klass.is_my_homeroom = admin or klass.homeroom_teacher_id == self.env.user

    @api.depends("name", "school_year_id")
    def _compute_display_name(self):
        for klass in self:
            klass.display_name = (
                f"{klass.name} ({klass.school_year_id.name})"
                if klass.school_year_id
                else klass.name
            )

    @api.constrains("homeroom_teacher_id", "company_id")
    def _check_homeroom_teacher(self):
        for klass in self.filtered("homeroom_teacher_id"):
            klass.homeroom_teacher_id._hocbaso_check_staff(
                "hocbaso_odoo.group_homeroom_teacher", klass.company_id,
                _("the homeroom teacher of %(klass)s", klass=klass.name))

    @api.constrains("grade_id", "company_id")
    def _check_grade_level(self):
        for klass in self:
            levels = klass.company_id.hocbaso_level_ids
            if levels and klass.grade_id.level_id not in levels:
                raise ValidationError(
                    _("Grade %(grade)s is not taught at %(school)s.",
                      grade=klass.grade_id.name, school=klass.company_id.name)
                )

    def action_open_records(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hocbaso_odoo.hocbaso_record_action")
        action["domain"] = [("class_id", "=", self.id)]
        action["context"] = {"default_class_id": self.id}
        return action

    def action_lock_class(self):
        """Lock every draft record of the class in one action (the lock wizard: each record
        through its own transition, a summary of locked, skipped and failed)."""
        self.ensure_one()
        if not self.is_my_homeroom:
            # her record rules hide another class's records: "nothing to lock" would be false
            raise UserError(_("You are not the homeroom teacher of class %(klass)s.",
                              klass=self.display_name))
        drafts = self.env["hocbaso.record"].search([("class_id", "=", self.id),
                                                    ("state", "=", "draft")])
        if not drafts:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": _("No record of %(klass)s is a draft: nothing to lock.",
                                 klass=self.display_name),
                },
            }
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo.hocbaso_record_lock_action")
        action["context"] = {"active_model": "hocbaso.record", "active_ids": drafts.ids}
        return action

    def _generate_records(self):
        """One draft record per student without one, with a line per assigned subject."""
        self.ensure_one()
        self.env["hocbaso.rollout"]._check_class(self)
        if not self.assignment_ids:
            raise ValidationError(_("Class %(klass)s has no teaching assignments yet.",
                                    klass=self.display_name))
        Record = self.env["hocbaso.record"]
        have = set(Record.search([("class_id", "=", self.id)]).mapped("student_id").ids)
        subjects = self.assignment_ids.sorted(lambda a: (a.subject_id.sequence, a.subject_id.id))
        vals_list = [{
            "student_id": student.id,
            "class_id": self.id,
            "school_year_id": self.school_year_id.id,
            "company_id": self.company_id.id,
            "homeroom_teacher_id": self.homeroom_teacher_id.id,
            "line_ids": [(0, 0, {
                "subject_id": a.subject_id.id,
                "teacher_id": a.teacher_id.id,
                "sequence": a.subject_id.sequence,
            }) for a in subjects],
        } for student in self.student_ids if student.id not in have]
        return Record.create(vals_list)
