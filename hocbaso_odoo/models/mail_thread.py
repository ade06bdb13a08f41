"""No chatter "Activities" button on the Học bạ số documents a user may only read.

An inspector reading a record saw "Activities" in its chatter; scheduling one ends in an access
error, as an activity needs write access to its document. Odoo already greys out "Send message"
and "Log note" for such users; this hides the button they cannot use either."""

from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def get_views(self, views, options=None):
        res = super().get_views(views, options)
        model = res["models"].get(self._name, {})
        if model.get("has_activities") and self._name.startswith("hocbaso.") \
                and not self.browse().has_access("write"):
            del model["has_activities"]
        return res
