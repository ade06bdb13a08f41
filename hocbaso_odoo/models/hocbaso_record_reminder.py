"""Reminders of what waits for a person: one to-do per person and school, on a record waiting
for her, due today, listing her classes and subjects; marked done by itself once nothing waits
for her any more (she signed, or the step passed). The activities menu opens the list of
exactly the records still waiting for her (res.users._get_activity_groups)."""

from markupsafe import Markup

from odoo import api, fields, models


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    @api.model
    def _hocbaso_reminders(self, users=None, companies=None):
        """The open reminders (of ``users``, on records of ``companies``), as superuser."""
        domain = [("hocbaso_reminder", "=", True), ("res_model", "=", self._name)]
        if users is not None:
            domain.append(("user_id", "in", users.ids))
        reminders = self.env["mail.activity"].sudo().search(domain)
        if companies is not None:
            reminders = reminders.filtered(
                lambda activity: self.sudo().browse(activity.res_id).company_id in companies)
        return reminders

    @api.model
    def _hocbaso_remind(self, user, company, rows):
        """Remind ``user`` of the progress ``rows`` (hocbaso.progress.pending, hers, of
        ``company``): her open reminder brought up to date, or a new one. Returns it."""
        anchor = self.sudo().search(
            [("company_id", "=", company.id), *rows._records_domain()], limit=1)
        if not anchor:
            return self.env["mail.activity"]
        env = self.with_context(lang=user.lang or self.env.lang).env
        lines = Markup("")
        for row in rows:
            lines += Markup("<li>%s</li>") % row._reminder_line(env)
        total = sum(rows.mapped("record_count"))
        values = {
            "res_id": anchor.id, "user_id": user.id,
            # today on her clock, as mail.activity tells today from planned
            "date_deadline": fields.Date.context_today(self.with_context(tz=user.tz))
            if user.tz else fields.Date.today(),
            "summary": env._("School records waiting for you: %(count)s", count=total),
            "note": Markup("<ul>%s</ul>") % lines,
        }
        reminder = self._hocbaso_reminders(user, company)
        if reminder:
            reminder[1:].unlink()
            reminder = reminder[:1]
            reminder.write(values)
            return reminder
        return self.env["mail.activity"].sudo().create({
            **values, "res_model_id": self.env["ir.model"]._get_id(self._name),
            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
            "hocbaso_reminder": True,
        })

    @api.model
    def _hocbaso_close_done_reminders(self, companies):
        """Mark done the reminders, on records of ``companies``, of the people nothing waits
        for any more in that school."""
        reminders = self._hocbaso_reminders(companies=companies)
        if not reminders:
            return
        self.env.flush_all()  # the progress view reads the tables
        Pending = self.env["hocbaso.progress.pending"].sudo()
        for reminder in reminders:
            company = self.sudo().browse(reminder.res_id).company_id
            if not Pending.search_count([("user_id", "=", reminder.user_id.id),
                                         ("company_id", "=", company.id)], limit=1):
                env = self.with_context(lang=reminder.user_id.lang or self.env.lang).env
                reminder.action_feedback(feedback=env._("Nothing waits for you any more."))

    # --- what closes them ---------------------------------------------------------------------
    def _set_state(self, target, message=None, author=None, tracked_before=None):
        res = super()._set_state(target, message, author, tracked_before)
        self._hocbaso_close_done_reminders(self.company_id)
        return res

    def _mark_subject_signed(self, lines, notes=None, author=None):
        complete = super()._mark_subject_signed(lines, notes, author)
        self._hocbaso_close_done_reminders(self.company_id | lines.record_id.company_id)
        return complete

    # --- what the activities menu opens -------------------------------------------------------
    @api.model
    def _hocbaso_reminder_action(self):
        """The list of the records still waiting for the current user, in her schools."""
        user = self.env.user
        rows = self.env["hocbaso.progress.pending"].sudo().search(
            [("user_id", "=", user.id), ("company_id", "in", user.company_ids.ids)])
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo.hocbaso_record_action_waiting")
        action.update(domain=rows._records_domain(), context={"search_default_group_class": 1},
                      views=[(False, "list"), (False, "form")])
        return action

