from odoo import _, api, fields, models
from odoo.exceptions import UserError


class HocbasoRecordGenerate(models.TransientModel):
    """Create the year's records of a class: one per student, one line per taught subject."""

    _name = "hocbaso.record.generate"
    _description = "Create Records for a Class"

    class_id = fields.Many2one("hocbaso.class", required=True)
    created_count = fields.Integer(readonly=True)

    @api.model
    def default_get(self, fields_list):
        vals = super().default_get(fields_list)
        if self.env.context.get("active_model") == "hocbaso.class":
            vals["class_id"] = self.env.context.get("active_id")
        return vals

    def action_generate(self):
        self.ensure_one()
        records = self.class_id._generate_records()
        if not records:
            raise UserError(_("Every student of %(klass)s already has a record.",
                              klass=self.class_id.display_name))
        action = self.env["ir.actions.act_window"]._for_xml_id("hocbaso_odoo.hocbaso_record_action")
        action["domain"] = [("id", "in", records.ids)]
        return action
