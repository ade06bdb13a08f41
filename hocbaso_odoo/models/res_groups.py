"""Học bạ số roles as users read them: named alone, and under translated headers on Odoo's own
user form.

Odoo rebuilds the user form's group section (base.user_groups_view) in English whenever groups
change, and while modules install it is a placeholder: the headers' translations are lost, so a
Vietnamese Odoo admin reads "DIGITAL SCHOOL RECORDS", "USER TYPE", "EXTRA RIGHTS". After each
rebuild, the headers get back the translations of the category names (each module's .po) and of
the few fixed headers (this module's .po)."""

from odoo import api, models


class ResGroups(models.Model):
    _inherit = "res.groups"

    @api.depends("full_name", "name", "category_id")
    def _compute_display_name(self):  # pylint: disable=missing-return
        """A Học bạ số role is named alone ("Homeroom Teacher"), not after its category: the
        school admin ticks it under "Roles" and reads it in the staff list."""
        super()._compute_display_name()
        category = self.env.ref("hocbaso_odoo.module_category_hocbaso", raise_if_not_found=False)
        for group in self:
            if category and group.sudo().category_id == category:
                group.display_name = group.name

    def _update_user_groups_view(self):
        super()._update_user_groups_view()
        if self.env.context.get("install_filename"):
            return  # the placeholder view: no header to translate
        view = self.env.ref("base.user_groups_view", raise_if_not_found=False)
        langs = [code for code, _name in self.env["res.lang"].get_installed() if code != "en_US"]
        if not (view and view._name == "ir.ui.view" and langs):
            return
        view = view.sudo().with_context(lang="en_US")
        terms = set(view._fields["arch_db"].get_trans_terms(view.arch_db or ""))
        # every category: a few dozen rows, each header of the user form
        categories = self.env["ir.module.category"].sudo().with_context(  # pylint: disable=no-search-all
            lang="en_US").search([])
        translations = {}
        for lang in langs:
            env = self.env(context=dict(self.env.context, lang=lang))
            names = dict(zip(categories.mapped("name"),
                             categories.with_context(lang=lang).mapped("name")))
            names.update(self._hocbaso_fixed_headers(env))
            translations[lang] = {src: value for src, value in names.items()
                                  if src in terms and value and value != src}
        translations = {lang: terms_ for lang, terms_ in translations.items() if terms_}
        if translations:
            view.update_field_translations("arch_db", translations)

    def _hocbaso_fixed_headers(self, env):
        """Odoo's fixed headers of the group section, translated in ``env``'s language."""
        return {
            "User Type": env._("User Type"),
            "Other": env._("Other"),
            "Access Rights Mismatch": env._("Access Rights Mismatch"),
        }
