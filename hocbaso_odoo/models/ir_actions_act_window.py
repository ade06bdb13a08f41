import ast

from odoo import models


class IrActionsActWindow(models.Model):
    _inherit = "ir.actions.act_window"

    def _get_action_dict(self):
        """Classes: a homeroom teacher (not school admin) starts on "My Homeroom Classes"; the
        others on every class. Set here, on the action the menu keeps (the web client finds the
        app of a screen from its menu's action), since an action's context cannot test
        groups."""
        result = super()._get_action_dict()
        classes = self.env.ref("hocbaso_odoo.hocbaso_class_action", raise_if_not_found=False)
        user = self.env.user
        if self == classes and user.has_group("hocbaso_odoo.group_homeroom_teacher") \
                and not user.has_group("hocbaso_odoo.group_school_admin"):
            try:
                context = ast.literal_eval(result.get("context") or "{}")
            except (ValueError, SyntaxError):
                return result  # an expression (uid, ...): left as written
            context["search_default_my_homeroom"] = 1
            result["context"] = repr(context)
        return result
