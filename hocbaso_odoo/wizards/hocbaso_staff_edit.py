"""Staff and roles: the school admin creates a staff member, gives roles, homeroom classes and
subjects to teach, without Odoo's Settings rights (every check in res.users._hocbaso_*)."""

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError


class HocbasoStaffEdit(models.TransientModel):
    _name = "hocbaso.staff.edit"
    _description = "Staff Member and Roles"

    company_id = fields.Many2one(
        "res.company", string="School", required=True, readonly=True,
        default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", string="Staff Member", readonly=True)
    user_active = fields.Boolean(compute="_compute_user_active")
    name = fields.Char(string="Full Name", required=True)
    login = fields.Char(required=True,
                        help="What the staff member types to log in, e.g. their e-mail address.")
    email = fields.Char(
                        help="Optional: an invitation to choose a password is sent to it.")
    password = fields.Char(
        help="Optional: a first password to hand to the staff member (without an e-mail "
             "address, they cannot set it themselves).")
    role_ids = fields.Many2many(
        "res.groups", "hocbaso_staff_edit_group_rel", "wizard_id", "group_id", string="Roles",
        domain=lambda self: [("category_id", "=",
                              self.env.ref("hocbaso_odoo.module_category_hocbaso").id)],
        help="A role brings the roles it includes: a homeroom teacher is also a subject "
             "teacher.")
    homeroom_class_ids = fields.Many2many(
        "hocbaso.class", "hocbaso_staff_edit_class_rel", "wizard_id", "class_id",
        string="Homeroom Teacher of", domain="[('company_id', '=', company_id)]")
    homeroom_current_teachers = fields.Char(
        string="Homeroom Teacher Now", compute="_compute_homeroom_current_teachers",
        help="The colleagues who are the homeroom teachers of these classes now.")
    replace_homeroom_teacher = fields.Boolean(
        string="Replace the Homeroom Teacher",
        help="Tick to take these classes over from their homeroom teachers.")
    assignment_ids = fields.One2many(
        "hocbaso.staff.edit.assignment", "wizard_id", string="Teaches")

    @api.depends("user_id")
    def _compute_user_active(self):
        for wizard in self:
            wizard.user_active = wizard.user_id.sudo().with_context(active_test=False).active

    def _homeroom_taken(self):
        """The homeroom classes chosen whose homeroom teacher is a colleague."""
        self.ensure_one()
        return self.homeroom_class_ids.filtered(
            lambda klass: klass.homeroom_teacher_id
            and klass.homeroom_teacher_id != self.user_id)

    @api.depends("homeroom_class_ids.homeroom_teacher_id", "user_id")
    def _compute_homeroom_current_teachers(self):
        for wizard in self:
            wizard.homeroom_current_teachers = ", ".join(
                f"{klass.name}: {klass.homeroom_teacher_id.name}"
                for klass in wizard._homeroom_taken()) or False

    @api.onchange("role_ids")
    def _onchange_role_ids(self):
        """A ticked role keeps the roles it includes ticked: the screen shows what the user
        will hold (a homeroom teacher is a subject teacher too)."""
        ticked = self.role_ids._origin
        missing = (ticked.sudo().trans_implied_ids & self.env[
            "res.users"]._hocbaso_role_groups()) - ticked
        if missing:
            self.role_ids = [Command.set((ticked | missing).ids)]

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        user = self.env["res.users"].browse(values.get("user_id")).with_context(active_test=False)
        if not user:
            return values
        company = self.env["res.company"].browse(values.get("company_id")) or self.env.company
        self.env["res.users"]._hocbaso_check_school_admin(company)
        user._hocbaso_check_manageable(company)
        assignments = self.env["hocbaso.teaching.assignment"].search([
            ("teacher_id", "=", user.id), ("company_id", "=", company.id)])
        values.update({
            "name": user.name,
            "login": user.login,
            "email": user.email,
            # every role held, the implied ones too: what is shown ticked is what is saved
            "role_ids": [Command.set((user.sudo().groups_id
                                      & user._hocbaso_role_groups()).ids)],
            "homeroom_class_ids": [Command.set(self.env["hocbaso.class"].search([
                ("homeroom_teacher_id", "=", user.id), ("company_id", "=", company.id)]).ids)],
            "assignment_ids": [Command.create({
                "class_id": assignment.class_id.id, "subject_id": assignment.subject_id.id,
            }) for assignment in assignments],
        })
        return values

    def _check_input(self):
        """Classes of this school only, and the role each needs: said before anything is
        written."""
        classes = self.homeroom_class_ids | self.assignment_ids.class_id
        others = classes.filtered(lambda klass: klass.company_id != self.company_id)
        if others:
            raise UserError(_("%(classes)s are not classes of %(school)s.",
                              classes=", ".join(others.mapped("display_name")),
                              school=self.company_id.name))
        granted = self.role_ids | self.role_ids.sudo().trans_implied_ids
        ref = self.env.ref
        if self.homeroom_class_ids and ref("hocbaso_odoo.group_homeroom_teacher") not in granted:
            raise UserError(_(
                "%(user)s is homeroom teacher of %(classes)s: give them the role %(role)s or "
                "remove those classes.", user=self.name,
                classes=", ".join(self.homeroom_class_ids.mapped("display_name")),
                role=ref("hocbaso_odoo.group_homeroom_teacher").name))
        if self.assignment_ids and ref("hocbaso_odoo.group_subject_teacher") not in granted:
            raise UserError(_(
                "%(user)s teaches subjects: give them the role %(role)s or remove the subjects.",
                user=self.name, role=ref("hocbaso_odoo.group_subject_teacher").name))
        for line in self.assignment_ids:
            if not line.subject_id._hocbaso_taught_in(line.class_id):
                raise UserError(_(
                    "%(subject)s is not a subject of class %(klass)s (%(grade)s): choose "
                    "one of that grade's subjects.", subject=line.subject_id.name,
                    klass=line.class_id.name, grade=line.class_id.grade_id.name))
        self._check_homeroom_taken_over()
        self._check_taken_over()

    def _check_homeroom_taken_over(self):
        """A class's homeroom teacher is replaced only when the admin ticks "Replace the
        Homeroom Teacher": never silently."""
        if self.replace_homeroom_teacher:
            return
        taken = []
        for klass in self._homeroom_taken():
            taken.append(_("%(klass)s has %(teacher)s as homeroom teacher",
                           klass=klass.name, teacher=klass.homeroom_teacher_id.name))
        if taken:
            raise UserError(_(
                "%(taken)s. To make %(user)s their homeroom teacher, tick “Replace the Homeroom "
                "Teacher”; otherwise remove those classes.", taken="; ".join(taken),
                user=self.name))

    def _check_taken_over(self):
        """A class's subject taught by a colleague changes hands only when the admin ticks
        "Replace the Teacher" on that line: never silently."""
        taken = []
        for line in self.assignment_ids.filtered(
                lambda line: line.current_teacher_id and not line.replace_teacher):
            taken.append(_("%(klass)s – %(subject)s is taught by %(teacher)s",
                           klass=line.class_id.name, subject=line.subject_id.name,
                           teacher=line.current_teacher_id.name))
        if taken:
            raise UserError(_(
                "%(taken)s. To give it to %(user)s, tick “Replace the Teacher” on that line; "
                "otherwise remove the line.", taken="; ".join(taken), user=self.name))

    def action_apply(self):
        self.ensure_one()
        self.env["res.users"]._hocbaso_check_school_admin(self.company_id)
        self._check_input()
        password, self.password = self.password, False  # not kept in the wizard's table
        user = self.env["res.users"]._hocbaso_save_staff(self.company_id, self.user_id, {
            "name": self.name, "login": self.login, "email": self.email,
            "password": password}, self.role_ids)
        self._apply_homeroom_classes(user)
        self._apply_assignments(user)
        return {"type": "ir.actions.act_window_close"}

    def _apply_homeroom_classes(self, user):
        Class = self.env["hocbaso.class"]
        had = Class.search([("homeroom_teacher_id", "=", user.id),
                            ("company_id", "=", self.company_id.id)])
        (had - self.homeroom_class_ids).write({"homeroom_teacher_id": False})
        (self.homeroom_class_ids - had).write({"homeroom_teacher_id": user.id})

    def _apply_assignments(self, user):
        """Each (class, subject) line is taught by ``user`` (taken over from a colleague when
        the line says so, checked in ``_check_taken_over``); the user's other assignments in
        the school are removed."""
        Assignment = self.env["hocbaso.teaching.assignment"]
        had = Assignment.search([("teacher_id", "=", user.id),
                                 ("company_id", "=", self.company_id.id)])
        keep = Assignment
        for line in self.assignment_ids:
            assignment = Assignment.search([("class_id", "=", line.class_id.id),
                                            ("subject_id", "=", line.subject_id.id)])
            if assignment:
                if assignment.teacher_id != user:
                    assignment.teacher_id = user
            else:
                assignment = Assignment.create({
                    "class_id": line.class_id.id, "subject_id": line.subject_id.id,
                    "teacher_id": user.id})
            keep |= assignment
        (had - keep).unlink()

    def action_archive_staff(self):
        self.ensure_one()
        self.user_id._hocbaso_archive_staff(self.company_id)
        return {"type": "ir.actions.act_window_close"}

    def action_restore_staff(self):
        self.ensure_one()
        self.user_id._hocbaso_archive_staff(self.company_id, active=True)
        return {"type": "ir.actions.act_window_close"}


class HocbasoStaffEditAssignment(models.TransientModel):
    _name = "hocbaso.staff.edit.assignment"
    _description = "Subject Taught by a Staff Member"

    wizard_id = fields.Many2one("hocbaso.staff.edit", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="wizard_id.company_id")
    class_id = fields.Many2one("hocbaso.class", required=True,
                               domain="[('company_id', '=', company_id)]")
    level_id = fields.Many2one(related="class_id.level_id")
    grade_id = fields.Many2one(related="class_id.grade_id")
    subject_id = fields.Many2one(
        "hocbaso.subject", required=True,
        domain="[('level_id', '=', level_id), '|', ('grade_ids', '=', False), "
               "('grade_ids', 'in', grade_id)]")
    current_teacher_id = fields.Many2one(
        "res.users", string="Taught Now by", compute="_compute_current_teacher_id",
        help="The colleague who teaches this subject in this class now.")
    replace_teacher = fields.Boolean(
        string="Replace the Teacher",
        help="Tick to take this subject in this class over from the colleague who teaches it.")

    @api.depends("class_id", "subject_id", "wizard_id.user_id")
    def _compute_current_teacher_id(self):
        Assignment = self.env["hocbaso.teaching.assignment"]
        for line in self:
            teacher = self.env["res.users"]
            if line.class_id and line.subject_id:
                teacher = Assignment.search([("class_id", "=", line.class_id.id),
                                             ("subject_id", "=", line.subject_id.id)]).teacher_id
            line.current_teacher_id = teacher if teacher != line.wizard_id.user_id else False
