from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso import validation
from hocbaso.errors import HocbasoError

from ..tools import raise_as_validation_error


class ResUsers(models.Model):
    _inherit = "res.users"

    hocbaso_personal_id = fields.Char(
        string="Personal ID Number",
        help="The 12-digit personal ID printed on the teacher's signing certificate.",
    )
    hocbaso_title = fields.Char(
        string="Title on Records",
        help="Printed under the signature, e.g. Hiệu trưởng, Phó hiệu trưởng.",
    )

    @api.constrains("hocbaso_personal_id")
    def _check_hocbaso_personal_id(self):
        for user in self.filtered("hocbaso_personal_id"):
            try:
                validation.check_personal_id(user.hocbaso_personal_id)
            except HocbasoError as err:
                raise_as_validation_error(self.env, err)

    # --- staff in a role ---------------------------------------------------------------------
    @api.model
    def _hocbaso_staff_domain(self, group_xmlid):
        """Pickers of a role offer the school's staff holding it (the school: check_company)."""
        return [("share", "=", False), ("groups_id", "in", self.env.ref(group_xmlid).ids)]

    def _hocbaso_check_staff(self, group_xmlid, company, what):
        """Refuse, in words, a user who is not staff of ``company`` holding the role: a parent
        saved as a class's homeroom teacher would see and sign its records; an archived staff
        member can no longer log in to sign."""
        group = self.env.ref(group_xmlid)
        for user in self.sudo():
            if user.share or not user.active or group not in user.groups_id \
                    or company not in user.company_ids:
                raise ValidationError(_(
                    "%(user)s cannot be %(what)s at %(school)s: choose a staff member of the "
                    "school with the role %(role)s (the school admin gives roles).",
                    user=user.name, what=what, school=company.name, role=group.name))

    # --- the school admin's staff and roles screen ------------------------------------------
    hocbaso_role_ids = fields.Many2many(
        "res.groups", string="Roles", compute="_compute_hocbaso_role_ids",
        help="The digital school records roles of this staff member (the roles they imply are "
             "left out).")

    @api.model
    def _hocbaso_role_groups(self):
        """Every role the school admin may give: the groups of the Học bạ số category."""
        category = self.env.ref("hocbaso_odoo.module_category_hocbaso")
        return self.env["res.groups"].sudo().search([("category_id", "=", category.id)])

    @api.model
    def _hocbaso_top_roles(self, groups):
        """The roles of ``groups`` that no other of them implies (homeroom, not also subject)."""
        groups = groups & self._hocbaso_role_groups()
        implied = groups.mapped("trans_implied_ids")
        return groups - implied

    @api.depends("groups_id")
    def _compute_hocbaso_role_ids(self):
        for user in self:
            user.hocbaso_role_ids = self._hocbaso_top_roles(user.sudo().groups_id)

    @api.model
    def _hocbaso_staff_list_domain(self, company):
        """The school's staff: internal users of ``company`` holding a Học bạ số role."""
        return [("share", "=", False), ("company_ids", "in", company.ids),
                ("groups_id", "in", self._hocbaso_role_groups().ids)]

    @api.model
    def action_hocbaso_staff(self):
        """Staff and Roles: the staff of the current school, for its school admin."""
        company = self.env.company
        self._hocbaso_check_school_admin(company)
        action = self.env["ir.actions.act_window"]._for_xml_id("hocbaso_odoo.hocbaso_staff_action")
        action["domain"] = self._hocbaso_staff_list_domain(company)
        return action

    def action_hocbaso_new_staff(self):
        """Staff and Roles' New button: the school admin's form for a new staff member."""
        self.env["res.users"]._hocbaso_check_school_admin(self.env.company)
        return self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo.hocbaso_staff_edit_action")

    def action_hocbaso_edit_staff(self):
        """A row of Staff and Roles opens the school admin's form, not Odoo's user form."""
        self.ensure_one()
        self._hocbaso_check_school_admin(self.env.company)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo.hocbaso_staff_edit_action")
        action["context"] = {"default_user_id": self.id}
        return action

    @api.model
    def _hocbaso_check_school_admin(self, company):
        """The caller manages the staff of ``company`` only as its school admin."""
        caller = self.env.user
        if not caller.has_group("hocbaso_odoo.group_school_admin") \
                or company not in caller.company_ids:
            raise AccessError(_(
                "Only the school admin of %(school)s can manage its staff and roles.",
                school=company.name))

    @api.model
    def _hocbaso_check_grantable(self, groups):
        """Only Học bạ số roles (and the internal user type they imply) are ever granted."""
        allowed = self._hocbaso_role_groups()
        employee = self.env.ref("base.group_user")
        allowed |= employee | employee.sudo().trans_implied_ids
        groups = groups.sudo()
        refused = (groups | groups.trans_implied_ids) - allowed
        if refused:
            names = ", ".join(refused.mapped("full_name"))
            raise AccessError(_(
                "The school admin gives digital school records roles only, not: %(groups)s.",
                groups=names))

    def _hocbaso_check_manageable(self, company):
        """A staff member the school admin of ``company`` may edit: a member of that school
        only, not a portal user (a parent), not an Odoo administrator."""
        caller_companies = self.env.user.company_ids
        for user in self.sudo().with_context(active_test=False):
            if user.share:
                raise AccessError(_(
                    "%(user)s is a portal user (a parent or a student), not a staff member.",
                    user=user.name))
            if user.has_group("base.group_erp_manager"):
                raise AccessError(_(
                    "%(user)s is an Odoo administrator: only an Odoo administrator changes "
                    "their access.", user=user.name))
            if company not in user.company_ids:
                raise AccessError(_("%(user)s is not a staff member of %(school)s.",
                                    user=user.name, school=company.name))
            if user.company_ids - caller_companies:
                raise AccessError(_(
                    "%(user)s also works at other schools: only the Odoo administrator changes "
                    "their access.", user=user.name))

    @api.model
    def _hocbaso_save_staff(self, company, user, values, roles):
        """Create (``user`` empty) or update a staff member of ``company`` with ``roles``, the
        Học bạ số groups chosen by the school admin. ``values``: name, login, email, password.
        The checks run as the caller; only then are the users written with sudo."""
        self._hocbaso_check_school_admin(company)
        self._hocbaso_check_grantable(roles)
        if not roles:
            raise UserError(_("Choose at least one role (to remove a staff member, archive them)."))
        login = (values.get("login") or "").strip()
        if not login or not (values.get("name") or "").strip():
            raise UserError(_("A staff member needs a name and a login."))
        Users = self.sudo().with_context(active_test=False)
        if Users.search_count([("login", "=", login), ("id", "!=", user.id)]):
            raise UserError(_("The login %(login)s is already used by another user.", login=login))
        vals = {key: values.get(key) or False for key in ("name", "email")}
        vals["login"] = login
        if values.get("password"):
            vals["password"] = values["password"]
        if user:
            user._hocbaso_check_manageable(company)
            if user == self.env.user and self.env.ref("hocbaso_odoo.group_school_admin") not in \
                    roles | roles.trans_implied_ids:
                raise UserError(_("You cannot remove your own school admin role: ask another "
                                  "school admin."))
            commands = [Command.unlink(group.id) for group in self._hocbaso_role_groups()]
            user.sudo().write(dict(vals, groups_id=commands + [
                Command.link(group.id) for group in roles]))
            return user
        employee = self.env.ref("base.group_user")
        return Users.with_context(no_reset_password=bool(values.get("password"))).create(dict(
            vals, company_id=company.id, company_ids=[Command.set(company.ids)],
            groups_id=[Command.set((employee | roles).ids)])).with_env(self.env)

    def _hocbaso_archive_staff(self, company, active=False):
        """Archive (or restore) staff members of ``company``: they can no longer log in; their
        signatures and records stay."""
        self._hocbaso_check_school_admin(company)
        self._hocbaso_check_manageable(company)
        if self.env.user in self and not active:
            raise UserError(_("You cannot archive yourself."))
        self.sudo().with_context(active_test=False).write({"active": active})
