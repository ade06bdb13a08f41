def post_init_hook(env):
    """Records are Vietnamese documents: make sure Vietnamese is available for their content."""
    lang = env["res.lang"].with_context(active_test=False).search([("code", "=", "vi_VN")])
    if lang and not lang.active:
        env["res.lang"]._activate_lang("vi_VN")
        env["ir.module.module"].search([("name", "=", "hocbaso_odoo")])._update_translations(
            "vi_VN"
        )
