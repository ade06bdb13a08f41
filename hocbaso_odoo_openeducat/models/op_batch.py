from odoo import _, fields, models


class OpBatch(models.Model):
    _inherit = "op.batch"

    hocbaso_class_ids = fields.One2many("hocbaso.class", "op_batch_id",
                                        string="School Record Classes")
    hocbaso_class_count = fields.Integer(compute="_compute_hocbaso_class_count")

    def _compute_hocbaso_class_count(self):
        for batch in self:
            batch.hocbaso_class_count = len(batch.hocbaso_class_ids)

    def action_hocbaso_import(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Create School Records"),
            "res_model": "hocbaso.openeducat.import",
            "view_mode": "form",
            "target": "new",
            "context": {"default_batch_id": self.id},
        }

    def action_open_hocbaso_classes(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("School Record Classes"),
            "res_model": "hocbaso.class",
            "view_mode": "list,form",
            "domain": [("op_batch_id", "=", self.id)],
        }
