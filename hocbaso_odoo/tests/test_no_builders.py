"""The product addons expose no demo or bench builder as a model method.

Any public method of a model (a name not starting with ``_``) can be called by any logged-in
user through /web/dataset/call_kw, and a builder creates companies, users and records. The demo
school builder lives in the separate hocbaso_demo addon as plain functions taking an ``env``.
"""

import inspect

from odoo.tests import TransactionCase, tagged

# hocbaso_odoo, hocbaso_odoo_sign, hocbaso_odoo_sync (and the bridges): the product's code;
# hocbaso_demo shares the prefix but defines no model, so it adds nothing to the walk
PRODUCT_PREFIX = "odoo.addons.hocbaso_"
BUILDER_WORDS = ("demo", "bench")


@tagged("post_install", "-at_install")
class TestNoBuilders(TransactionCase):

    def test_no_demo_school_model(self):
        self.assertNotIn("hocbaso.demo.school", self.env)

    def test_no_public_builder_method(self):
        found = []
        for model_name in self.env.registry:
            for cls in type(self.env[model_name]).__mro__:
                if not cls.__module__.startswith(PRODUCT_PREFIX):
                    continue
                for name, member in vars(cls).items():
                    if name.startswith("_") or not inspect.isroutine(
                            getattr(member, "__func__", member)):
                        continue
                    # a builder model's innocent-looking build() counts too
                    where = f"{name} {model_name} {cls.__module__}".lower()
                    if any(word in where for word in BUILDER_WORDS):
                        found.append(f"{model_name}.{name} ({cls.__module__})")
        self.assertFalse(found, f"public builder methods callable over RPC: {found}")

    def test_walk_reaches_product_models(self):
        # guards the test above against walking nothing (e.g. a renamed package)
        modules = {cls.__module__ for cls in type(self.env["hocbaso.record"]).__mro__}
        self.assertIn("odoo.addons.hocbaso_odoo.models.hocbaso_record", modules)
