"""Who has not signed which subject: the steps still pending, by the person whose turn it is,
class and subject, with the number of records waiting; and one click that reminds each of
them (one reminder per person and school, see hocbaso.record._hocbaso_remind)."""

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.osv import expression

from hocbaso import roles

# the step before any signature: the homeroom teacher locks the results
LOCK_STEP = "lock"
# (step, its label): locking, then each signing role of the library's roles table, in order
STEPS = [(LOCK_STEP, "Locking the results"), *roles.STEP_SELECTION]
# the state a record waits in for each step
WAITING_IN = {LOCK_STEP: "draft", **{role.code: role.state_before for role in roles.ROLES}}
# {role code: (module, group name)} of the groups in the roles table
BY_ROLE_GROUP = {role.code: tuple(role.group.split(".", 1)) for role in roles.ROLES}

# who moves a record of a class on at each step (the person behind when it waits there); the
# subject teachers' step is per subject line (_subject_select), the issuance is everyone of
# the school holding the issuer's role (_issuer_select)
HOMEROOM = "COALESCE(r.homeroom_teacher_id, c.homeroom_teacher_id)"
RESPONSIBLE = {
    LOCK_STEP: HOMEROOM,
    roles.ROLE_GVCN: HOMEROOM,
    roles.ROLE_CBQL: "r.leader_id",
}


class HocbasoProgressPending(models.Model):
    _name = "hocbaso.progress.pending"
    _inherit = ["hocbaso.selection.order.mixin"]
    _description = "School Records Still to Sign"
    _auto = False
    _order = "step, class_id, subject_id, user_id"
    _rec_name = "class_id"
    _selection_order = ("step",)

    step = fields.Selection(STEPS, string="Waiting for", readonly=True,
                            help="The workflow step these records need next.")
    user_id = fields.Many2one("res.users", string="Who", readonly=True,
                              help="Whose turn it is; empty: anyone holding the role.")
    company_id = fields.Many2one("res.company", string="School", readonly=True)
    school_year_id = fields.Many2one("hocbaso.school.year", readonly=True)
    grade_id = fields.Many2one("hocbaso.grade", readonly=True)
    class_id = fields.Many2one("hocbaso.class", readonly=True)
    subject_id = fields.Many2one("hocbaso.subject", readonly=True)
    record_count = fields.Integer(string="Records", readonly=True)

    def _subject_select(self):
        return f"""
            SELECT '{roles.ROLE_GVBM}' AS step, l.teacher_id AS user_id, r.company_id,
                   r.school_year_id, r.grade_id, r.class_id, l.subject_id,
                   COUNT(*) AS record_count
              FROM hocbaso_record_line l JOIN hocbaso_record r ON r.id = l.record_id
             WHERE r.state = '{WAITING_IN[roles.ROLE_GVBM]}'
                   AND NOT COALESCE(l.gvbm_signed, FALSE)
                   AND {self.env["hocbaso.progress"]._where()}
             GROUP BY 2, 3, 4, 5, 6, 7"""

    def _record_select(self, step):
        return f"""
            SELECT '{step}' AS step, {RESPONSIBLE[step]} AS user_id, r.company_id,
                   r.school_year_id, r.grade_id, r.class_id, NULL::integer AS subject_id,
                   COUNT(*) AS record_count
              FROM hocbaso_record r JOIN hocbaso_class c ON c.id = r.class_id
             WHERE r.state = '{WAITING_IN[step]}' AND {self.env["hocbaso.progress"]._where()}
             GROUP BY 2, 3, 4, 5, 6, 7"""

    def _issuer_select(self):
        """The school's users holding the issuer's role (the group of the roles table, found
        at query time: the view exists before the group's data is loaded); none: empty."""
        module, name = BY_ROLE_GROUP[roles.ROLE_ISSUER]
        return f"""
            SELECT '{roles.ROLE_ISSUER}' AS step, i.user_id, r.company_id, r.school_year_id,
                   r.grade_id, r.class_id, NULL::integer AS subject_id, COUNT(*) AS record_count
              FROM hocbaso_record r
              LEFT JOIN LATERAL (
                  SELECT u.id AS user_id
                    FROM res_users u
                    JOIN res_company_users_rel cu ON cu.user_id = u.id AND cu.cid = r.company_id
                    JOIN res_groups_users_rel gu ON gu.uid = u.id
                    JOIN ir_model_data d ON d.model = 'res.groups' AND d.res_id = gu.gid
                                        AND d.module = '{module}' AND d.name = '{name}'
                   WHERE u.active AND NOT u.share) i ON TRUE
             WHERE r.state = '{WAITING_IN[roles.ROLE_ISSUER]}'
                   AND {self.env["hocbaso.progress"]._where()}
             GROUP BY 2, 3, 4, 5, 6, 7"""

    @api.model
    def init(self):
        parts = []
        for step, _label in STEPS:
            if step == roles.ROLE_GVBM:
                parts.append(self._subject_select())
            elif step == roles.ROLE_ISSUER:
                parts.append(self._issuer_select())
            else:
                parts.append(self._record_select(step))
        # an id that stays the same while the row means the same person, class, subject and
        # step (a row selected in the list is still that row when the reminder is sent)
        key = ("p.step || '-' || COALESCE(p.user_id, 0) || '-' || p.class_id || '-' || "
               "COALESCE(p.subject_id, 0)")
        tools.drop_view_if_exists(self.env.cr, self._table)
        # built from this module's own fragments (state and step names), no outside value
        # pylint: disable-next=sql-injection
        self.env.cr.execute(f"""CREATE VIEW {self._table} AS (
            SELECT ('x' || substr(md5({key}), 1, 12))::bit(48)::bigint AS id, p.*
              FROM ({" UNION ALL ".join(parts)}) p)""")

    # --- the records behind a row -------------------------------------------------------------
    def _record_domain(self):
        """Domain of the records this row counts (still waiting, read live)."""
        self.ensure_one()
        domain = [("class_id", "=", self.class_id.id), ("state", "=", WAITING_IN[self.step])]
        if self.step == roles.ROLE_GVBM:
            domain.append(("line_ids", "any", [
                ("teacher_id", "=", self.user_id.id), ("subject_id", "=", self.subject_id.id),
                ("gvbm_signed", "=", False)]))
        return domain

    def _records_domain(self):
        return expression.OR([row._record_domain() for row in self]) if self else \
            expression.FALSE_DOMAIN

    def _step_label(self, env=None):
        """The step's label, in the language of ``env`` (the reader's)."""
        env = env or self.env
        return dict(self._fields["step"]._description_selection(env))[self.step]

    def _reminder_line(self, env):
        """One line of a reminder: class, subject, the step and how many records."""
        self.ensure_one()
        klass = self.class_id.with_env(env).display_name
        if self.subject_id:
            klass = f"{klass} \u2013 {self.subject_id.with_env(env).display_name}"
        return env._("%(class)s: %(step)s, %(count)s records", **{
            "class": klass, "step": self._step_label(env), "count": self.record_count})

    # --- reminders ----------------------------------------------------------------------------
    def _check_may_remind(self):
        """Only the school's leadership or administrator reminds its teachers, whatever the
        RPC caller sends: the group first, then the rows' schools."""
        user = self.env.user
        if not (user.has_group("hocbaso_odoo.group_leadership")
                or user.has_group("hocbaso_odoo.group_school_admin")):
            raise AccessError(_("Only the principal or the school administrator can send "
                                "reminders."))
        self.check_access("read")
        if self.sudo().company_id - user.company_ids:
            raise AccessError(_("You can only remind the teachers of your own school."))

    def action_send_reminders(self):
        """One reminder per person behind and school (the selected rows, or with none selected
        every row of the schools the user has switched on), due today, listing her classes and
        subjects; an open one is brought up to date instead of a second one."""
        self._check_may_remind()
        rows = self or self.search([("company_id", "in", self.env.companies.ids)])
        Record = self.env["hocbaso.record"]
        sent = 0
        for (user, company), user_rows in rows.sudo().grouped(
                lambda row: (row.user_id, row.company_id)).items():
            if user and Record._hocbaso_remind(user, company, user_rows):
                sent += 1
        if not self:
            # everyone of these schools no longer behind: their reminders are done
            Record._hocbaso_close_done_reminders(rows.company_id | self.env.companies)
        if sent:
            message = _("%(count)s reminders sent.", count=sent)
        else:
            message = _("No reminder sent: nobody is behind.")
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"title": _("Reminders"), "message": message,
                       "type": "success" if sent else "info", "sticky": False},
        }
