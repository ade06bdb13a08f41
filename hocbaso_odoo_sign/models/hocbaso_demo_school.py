from odoo import api, models


class HocbasoDemoSchool(models.AbstractModel):
    _inherit = "hocbaso.demo.school"

    @api.model
    def _sign_demo(self, result, pki_dir):
        from ..tools.demo import sign_demo

        return sign_demo(self.env, result, pki_dir)
