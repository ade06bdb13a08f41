"""Pages of the web client, measured as it loads them: a record form opened by the principal.

The form's ``web_read`` is called with the specification the web client builds from the form
view (every field of the arch, many2one names, the lines and signatures of the x2many lists),
in a transaction of its own per open, as one HTTP request is. The first open of an issued
record verifies its signatures and keeps the outcome (hocbaso.record.verification); the later
opens read it. Each open is timed; the limit is 300 ms (issue 19).
"""

import statistics
import time

from lxml import etree

from .measure import log

FORM_LIMIT_MS = 300.0
OPEN_SAMPLE = 60
VERIFICATION_FIELDS = ("verification_state", "verification_note")


def form_specification(env, model):
    """The ``web_read`` specification of ``model``'s form view, as the web client makes it."""
    views = env[model].get_views([(False, "form")])
    arch = etree.fromstring(views["views"]["form"]["arch"])
    fields = views["models"]

    def spec_of(node, model_name):
        spec = {}
        for field in _top_fields(node):
            name = field.get("name")
            info = fields.get(model_name, {}).get("fields", {}).get(name) or \
                env[model_name].fields_get([name]).get(name, {})
            kind = info.get("type")
            if kind == "many2one":
                spec[name] = {"fields": {"display_name": {}}}
            elif kind in ("one2many", "many2many"):
                sub = field.find("list")
                relation = info["relation"]
                spec[name] = {"fields": spec_of(sub, relation) if sub is not None
                              else {"display_name": {}}, "limit": 40}
            else:
                spec[name] = {}
        return spec

    spec = spec_of(arch, model)
    spec["display_name"] = {}
    return spec


def _top_fields(node):
    """The <field> elements of ``node`` not nested in another <field>."""
    for child in node.iterchildren(etree.Element):
        if child.tag == "field":
            yield child
        else:
            yield from _top_fields(child)


class Pages:
    """Mixed into odoo_stages.Bench: the form of issued records opened as the principal."""

    def open_forms(self):
        school = self.schools[0]
        sample = school["records"][-OPEN_SAMPLE:]  # not the verification stage's sample
        context = {"allowed_company_ids": [school["company"]], "bin_size": True}
        with self.env(school["principal"], context) as env:
            spec = form_specification(env, "hocbaso.record")
        without = {k: v for k, v in spec.items() if k not in VERIFICATION_FIELDS}
        signatures = 0
        for stage, fields in (("open_first", spec), ("open_again", spec),
                              ("open_plain", without)):
            times = []
            for record_id in sample:
                start = time.perf_counter()
                with self.env(school["principal"], context) as env:
                    values = env["hocbaso.record"].browse(record_id).web_read(fields)[0]
                times.append((time.perf_counter() - start) * 1000)
                if stage != "open_plain" and values["verification_state"] != "valid":
                    raise RuntimeError(f"record {record_id} opens as "
                                       f"{values['verification_state']}: "
                                       f"{values['verification_note']}")
                if stage == "open_first":
                    signatures += len(values["signature_ids"])
            self.open_times[stage] = times
            self.open_field_counts[stage] = len(fields)
            log(f"{stage}: {len(times)} forms, median {statistics.median(times):.1f} ms, "
                f"max {max(times):.1f} ms")
        self.open_signatures = signatures / len(sample)

    def page_rows(self):
        rows = []
        notes = {
            "open_first": "first open: verifies every signature and keeps the outcome",
            "open_again": "later opens: the kept outcome, by document hash and trust material",
            "open_plain": "the same form without the verification fields",
        }
        for stage, note in notes.items():
            times = sorted(self.open_times[stage])
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            rows.append({
                "stage": f"record form opened ({stage.split('_')[1]}), 95th percentile",
                "rate": p95, "unit": "ms", "limit": FORM_LIMIT_MS,
                "note": f"{note}; median {statistics.median(times):.1f} ms, max "
                        f"{times[-1]:.1f} ms, {len(times)} issued records of "
                        f"{self.open_signatures:.1f} signatures, web_read of "
                        f"{self.open_field_counts[stage]} fields as the principal"})
        return rows
