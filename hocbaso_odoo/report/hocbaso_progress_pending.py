"""Who has not signed which subject: the signing steps still pending, by the person whose turn
it is, class and subject, with the number of records waiting; and one click that reminds each
of them with a to-do activity (one open reminder per person, class, subject and step)."""

import itertools

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError

from ..models.hocbaso_record import LIVE_STATES, STATES

# who moves a record of a class to each step (the person behind when it waits there); the
# subject teachers' step is per subject line, see _subject_select
HOMEROOM = "COALESCE(r.homeroom_teacher_id, c.homeroom_teacher_id)"
RESPONSIBLE = {
    "locked": HOMEROOM,
    "gvcn_signed": HOMEROOM,
    "leader_signed": "r.leader_id",
    "issued": "NULL::integer",
}
SUBJECT_STEP = "gvbm_signed"


class HocbasoProgressPending(models.Model):
    _name = "hocbaso.progress.pending"
    _description = "School Records Still to Sign"
    _auto = False
    _order = "step, class_id, subject_id, user_id"
    _rec_name = "class_id"

    step = fields.Selection(STATES, string="Waiting for", readonly=True,
                            help="The workflow step these records need next.")
    user_id = fields.Many2one("res.users", string="Who", readonly=True,
                              help="Whose turn it is; empty: anyone holding the role.")
    company_id = fields.Many2one("res.company", string="School", readonly=True)
    school_year_id = fields.Many2one("hocbaso.school.year", readonly=True)
    grade_id = fields.Many2one("hocbaso.grade", readonly=True)
    class_id = fields.Many2one("hocbaso.class", readonly=True)
    subject_id = fields.Many2one("hocbaso.subject", readonly=True)
    record_count = fields.Integer(string="Records", readonly=True)

    @api.model
    def _steps(self):
        """(state a record waits in, the step it waits for), in workflow order."""
        return list(itertools.pairwise(LIVE_STATES))

    def _subject_select(self, waiting_in):
        return f"""
            SELECT '{SUBJECT_STEP}' AS step, l.teacher_id AS user_id, r.company_id,
                   r.school_year_id, r.grade_id, r.class_id, l.subject_id,
                   COUNT(*) AS record_count
              FROM hocbaso_record_line l JOIN hocbaso_record r ON r.id = l.record_id
             WHERE r.state = '{waiting_in}' AND NOT COALESCE(l.gvbm_signed, FALSE)
                   AND {self.env["hocbaso.progress"]._where()}
             GROUP BY 2, 3, 4, 5, 6, 7"""

    def _record_select(self, waiting_in, step):
        return f"""
            SELECT '{step}' AS step, {RESPONSIBLE[step]} AS user_id, r.company_id,
                   r.school_year_id, r.grade_id, r.class_id, NULL::integer AS subject_id,
                   COUNT(*) AS record_count
              FROM hocbaso_record r JOIN hocbaso_class c ON c.id = r.class_id
             WHERE r.state = '{waiting_in}' AND {self.env["hocbaso.progress"]._where()}
             GROUP BY 2, 3, 4, 5, 6, 7"""

    @api.model
    def init(self):
        parts = [self._subject_select(waiting_in) if step == SUBJECT_STEP
                 else self._record_select(waiting_in, step)
                 for waiting_in, step in self._steps()]
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

    def _reminder_summary(self):
        """The reminder's title, in the language of the person reminded."""
        self.ensure_one()
        env = self.with_context(lang=self.user_id.lang or self.env.lang).env
        if self.subject_id:
            return env._("Sign %(subject)s in %(class)s: %(count)s records",
                         subject=self.subject_id.with_env(env).display_name,
                         **{"class": self.class_id.display_name, "count": self.record_count})
        step = dict(self._fields["step"]._description_selection(env))[self.step]
        return env._("%(class)s waits for you at step \u201c%(step)s\u201d: %(count)s records",
                     step=step, **{"class": self.class_id.display_name,
                                   "count": self.record_count})

    def action_send_reminders(self):
        """A to-do for each person behind (the selected rows, or with none selected every row
        of the schools the user has switched on), due after the to-do type's delay; none if
        one is still open for the same class, subject and step."""
        self._check_may_remind()
        rows = self or self.search([("company_id", "in", self.env.companies.ids)])
        todo = self.env.ref("mail.mail_activity_data_todo")
        class_model = self.env["ir.model"]._get_id("hocbaso.class")
        Activity = self.env["mail.activity"].sudo()
        sent = 0
        for row in rows:
            if not row.user_id:
                continue
            open_reminder = Activity.search_count([
                ("res_model", "=", "hocbaso.class"), ("res_id", "=", row.class_id.id),
                ("user_id", "=", row.user_id.id), ("hocbaso_step", "=", row.step),
                ("hocbaso_subject_id", "=", row.subject_id.id)], limit=1)
            if open_reminder:
                continue
            Activity.create({
                "res_model_id": class_model, "res_id": row.class_id.id,
                "activity_type_id": todo.id, "user_id": row.user_id.id,
                "date_deadline": todo._get_date_deadline(),
                "summary": row._reminder_summary(),
                "hocbaso_step": row.step, "hocbaso_subject_id": row.subject_id.id,
            })
            sent += 1
        if sent:
            message = _("%(count)s reminders sent.", count=sent)
        else:
            message = _("No reminder sent: everyone behind already has an open one.")
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"title": _("Reminders"), "message": message,
                       "type": "success" if sent else "info", "sticky": False},
        }
