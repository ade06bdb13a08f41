"""The activities menu: a person's signing reminders are one entry of their own, "Waiting for
Me", that opens the list of exactly the records still waiting for her (the web client's patch
activity_menu_patch.js runs its action), whatever record the reminder hangs on."""

from odoo import api, models, modules

COUNTS = ("today_count", "overdue_count", "planned_count")


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _get_activity_groups(self):
        groups = super()._get_activity_groups()
        reminders = self.env["mail.activity"].search(
            [("user_id", "=", self.env.uid), ("hocbaso_reminder", "=", True)])
        if not reminders:
            return groups
        # out of the entries Odoo made (the records' one, or "Other activities" for a record
        # she cannot read any more)
        others = {activity_id for group in groups if group["model"] == "mail.activity"
                  for activity_id in group["activity_ids"]}
        for group in list(groups):
            if group["model"] == "mail.activity":
                mine = reminders.filtered(lambda activity: activity.id in others)
                group["activity_ids"] = [i for i in group["activity_ids"] if i not in mine.ids]
            elif group["model"] == "hocbaso.record":
                mine = reminders.filtered(lambda activity: activity.id not in others)
            else:
                continue
            for activity in mine:
                group[f"{activity.state}_count"] -= 1
                if activity.state in ("today", "overdue"):
                    group["total_count"] -= 1
            if not any(group[name] for name in COUNTS):
                groups.remove(group)
        Record = self.env["hocbaso.record"]
        group = {
            "id": self.env["ir.model"]._get_id(Record._name),
            "name": self.env._("Waiting for Me"),
            "model": Record._name,
            "type": "activity",
            "icon": modules.module.get_module_icon(Record._original_module),
            "total_count": 0, "today_count": 0, "overdue_count": 0, "planned_count": 0,
            "view_type": "list",
            # what the patched menu opens; Odoo's own code would open the records the
            # reminders hang on (this domain on top of its activity_user_id one)
            "hocbaso_action": Record._hocbaso_reminder_action(),
            "domain": [("activity_ids.hocbaso_reminder", "=", True)],
        }
        for activity in reminders:
            group[f"{activity.state}_count"] += 1
            if activity.state in ("today", "overdue"):
                group["total_count"] += 1
        groups.insert(0, group)
        return groups
