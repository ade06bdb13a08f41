"""Every screen in both languages: what the addons show users, read in vi_VN and in en_US.

Read from what Odoo would render, not from the .po files: the menus, the actions' titles and
help, every view's own arch (forms, lists, searches, kanbans, pivots, graphs, wizards, portal
pages) as stored for that language, and the labels, help and choices of our fields. In
Vietnamese nothing may be left in English and no raw code may show (KY_PHAT_HANH); in English
nothing may be in Vietnamese, except the printed record itself (the legal form stays
Vietnamese) and the Vietnamese names of institutions kept in English labels ("Sở", "CSDL").

It lives in the sync addon because that addon depends on the other two: all three are loaded.
"""

import re

from lxml import etree, html

from odoo.tests import tagged

from odoo.addons.hocbaso_odoo.tests.common import HocbasoCase

MODULES = ("hocbaso_odoo", "hocbaso_odoo_sign", "hocbaso_odoo_sync")

VIETNAMESE = re.compile(
    "[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I)
RAW_CODE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]{2,}\b")
# an XML element name shown as text ("mahocsinh"): a code, in any language
XML_NAME = re.compile(r"[a-z]{6,}")
# words that only English has (none of them is also a Vietnamese word without its accents)
ENGLISH = re.compile(
    r"\b(the|of|and|for|with|is|are|this|that|your|record|records|school|student|students|"
    r"signed|signature|signatures|certificate|certificates|teacher|class|subject|subjects|"
    r"state|date|name|issued|draft|waiting|progress|report|send|import|export|download|"
    r"upload|error|view|open|close|cancel|save|create|delete|new|all|my|from|yes|none|"
    r"year|grade|level|results?|score|scores|comment|comments|note|notes|reason|"
    r"verify|verification|sync|entries|entry|status|step|search|filter|group)\b", re.I)
# Vietnamese names that an English label keeps, as the school's documents name them
# and the law's own abbreviations and titles, which the printed form uses in every language
VIETNAMESE_TERMS = ("CSDL ngành", "Sở", "Phòng", "giám hiệu", "Bộ GDĐT", "Phó hiệu trưởng",
                    "Hiệu trưởng", "ĐĐGtx", "ĐĐGgk", "ĐĐGck", "ĐTBmhkI", "ĐTBmcn", "CĐ", "Đ")
# attributes of a view that a user reads
SHOWN = ("string", "help", "placeholder", "confirm", "title", "alt", "aria-label", "sum",
         "data-tooltip")
# the printed legal form: Vietnamese in every language
PRINTED = ("report_",)


def shown_strings(arch, qweb=False):
    """The texts of a view's arch a user reads: shown attributes and text nodes."""
    root = etree.fromstring(arch.encode()) if isinstance(arch, str) else arch
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in SHOWN:
            value = node.get(attribute)
            if value and not (qweb and attribute == "title" and value.startswith("{{")):
                yield value
        if node.tag in ("style", "script") or (node.tag in ("field", "t") and not qweb):
            continue
        if node.tag == "attribute" and (node.get("name") or "").startswith("t-"):
            continue  # an inherited view setting a QWeb expression: code, not text
        for text in (node.text, node.tail):
            if text and text.strip() and re.search(r"[A-Za-zÀ-ỹ]", text):
                yield text.strip()


def html_text(value):
    return html.fromstring(value).text_content().strip() if value and value.strip() else ""


@tagged("post_install", "-at_install")
class TestLanguages(HocbasoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_vietnamese()
        data = cls.env["ir.model.data"].sudo().search([("module", "in", MODULES)])
        cls.xmlids = {(d.model, d.res_id): f"{d.module}.{d.name}" for d in data}
        cls.view_ids = [d.res_id for d in data if d.model == "ir.ui.view"]
        cls.menu_ids = [d.res_id for d in data if d.model == "ir.ui.menu"]
        cls.action_ids = [d.res_id for d in data if d.model == "ir.actions.act_window"]
        cls.our_fields = cls.env["ir.model.fields"].sudo().browse(
            {d.res_id for d in data if d.model == "ir.model.fields"})

    def texts(self, lang):
        """(where, text) of everything our addons show, in ``lang``."""
        env = self.env(context=dict(self.env.context, lang=lang))
        for menu in env["ir.ui.menu"].sudo().browse(self.menu_ids):
            yield f"menu {self.xmlids[('ir.ui.menu', menu.id)]}", menu.name
        for action in env["ir.actions.act_window"].sudo().browse(self.action_ids):
            where = f"action {self.xmlids[('ir.actions.act_window', action.id)]}"
            yield where, action.name
            if action.help:
                yield where + " (help)", html_text(action.help)
        for view in env["ir.ui.view"].sudo().browse(self.view_ids):
            xmlid = self.xmlids[("ir.ui.view", view.id)]
            if lang != "vi_VN" and any(part in xmlid for part in PRINTED):
                continue
            for text in shown_strings(view.arch_db, qweb=view.type == "qweb"):
                yield f"view {xmlid}", text
        for field in self.our_fields:
            model = env[field.model] if field.model in env else None
            if model is None or field.name not in model._fields \
                    or model._fields[field.name]._module not in MODULES:
                continue  # a field of Odoo's own mixins: Odoo translates it
            description = model.fields_get([field.name], ["string", "help", "selection"])
            info = description.get(field.name, {})
            where = f"field {field.model}.{field.name}"
            yield where, info.get("string", "")
            if info.get("help"):
                yield where + " (help)", info["help"]
            for _value, label in info.get("selection") or ():
                yield where + " (choice)", label

    def test_vietnamese_screens_hold_no_english_and_no_codes(self):
        problems = []
        for where, text in self.texts("vi_VN"):
            if not text:
                continue
            if text.startswith("-----BEGIN"):
                continue  # the shape of a PEM file, as a placeholder
            if RAW_CODE.search(text) or XML_NAME.fullmatch(text):
                problems.append(f"{where}: raw code in {text!r}")
            elif not VIETNAMESE.search(text) and ENGLISH.search(text):
                problems.append(f"{where}: English {text!r}")
        self.assertFalse(problems, "Seen in Vietnamese:\n" + "\n".join(sorted(set(problems))))

    def test_english_screens_hold_no_vietnamese(self):
        problems = []
        for where, text in self.texts("en_US"):
            stripped = text or ""
            if XML_NAME.fullmatch(stripped):
                problems.append(f"{where}: raw code {text!r}")
            for term in VIETNAMESE_TERMS:
                stripped = stripped.replace(term, "")
            if VIETNAMESE.search(stripped):
                problems.append(f"{where}: Vietnamese {text!r}")
        self.assertFalse(problems, "Seen in English:\n" + "\n".join(sorted(set(problems))))

    def test_the_reading_covers_every_kind_of_screen(self):
        """The two tests above read something of each kind: menus, actions, each view type
        and fields (a reading that found nothing would pass them vacuously)."""
        kinds = {where.split(" ", 1)[0] for where, _text in self.texts("vi_VN")}
        self.assertEqual(kinds, {"menu", "action", "view", "field"})
        types = set(self.env["ir.ui.view"].browse(self.view_ids).mapped("type"))
        self.assertTrue({"form", "list", "search", "qweb"} <= types, types)
        self.assertGreater(len(self.our_fields), 200)
