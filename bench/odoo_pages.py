"""Pages of the web client, measured as it loads them: a record form opened by the principal,
and the list of the school's records (the first page, then grouped by class).

The form's ``web_read`` is called with the specification the web client builds from the form
view (every field of the arch, many2one names, the lines and signatures of the x2many lists),
in a transaction of its own per open, as one HTTP request is. The first open of an issued
record verifies its signatures and keeps the outcome (hocbaso.record.verification); the later
opens read it. Each open is timed; the limit is 300 ms (issue 19). The list is "All Records"
as the web client loads it: ``web_search_read`` with the list view's fields, 80 rows and the
count of the whole school; grouped by class, ``web_read_group`` then the first group opened.
Limit 1 s (issue 19: a list of 2,000 records).
"""

import statistics
import time

from lxml import etree

from .measure import log

FORM_LIMIT_MS = 300.0
LIST_LIMIT_MS = 1000.0
OPEN_SAMPLE = 60
LIST_SAMPLE = 20
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


def list_specification(env, model):
    """The ``web_search_read`` specification of ``model``'s list view."""
    views = env[model].get_views([(False, "list")])
    arch = etree.fromstring(views["views"]["list"]["arch"])
    fields = views["models"][model]["fields"]
    spec = {}
    for field in _top_fields(arch):
        name = field.get("name")
        kind = fields.get(name, {}).get("type")
        spec[name] = {"fields": {"display_name": {}}} if kind == "many2one" else {}
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

    def open_lists(self):
        school = self.schools[0]
        context = {"allowed_company_ids": [school["company"]], "bin_size": True}
        with self.env(school["principal"], context) as env:
            spec = list_specification(env, "hocbaso.record")
        domain = [("company_id", "=", school["company"])]
        for stage in ("list", "list_grouped"):
            times = []
            for _ in range(LIST_SAMPLE):
                start = time.perf_counter()
                with self.env(school["principal"], context) as env:
                    Record = env["hocbaso.record"]
                    if stage == "list":
                        page = Record.web_search_read(domain, spec, limit=80,
                                                      count_limit=10001)
                        shown, total = len(page["records"]), page["length"]
                    else:
                        groups = Record.web_read_group(domain, [], ["class_id"], limit=80)
                        first = groups["groups"][0]
                        page = Record.web_search_read(first["__domain"], spec, limit=80)
                        shown, total = len(page["records"]), sum(
                            group["class_id_count"] for group in groups["groups"])
                times.append((time.perf_counter() - start) * 1000)
            self.open_times[stage] = times
            self.open_field_counts[stage] = len(spec)
            self.list_sizes[stage] = (shown, total)
            log(f"{stage}: {len(times)} loads of {total} records, median "
                f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms")

    def page_rows(self):
        rows = []
        for stage, what in (("list", "first page of 80"),
                            ("list_grouped", "grouped by class, first class opened")):
            times = sorted(self.open_times[stage])
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            shown, total = self.list_sizes[stage]
            rows.append({
                "stage": f"records list ({what}), 95th percentile", "rate": p95, "unit": "ms",
                "limit": LIST_LIMIT_MS,
                "note": f"the principal's All Records over the school's {total} records, "
                        f"{shown} rows of {self.open_field_counts[stage]} fields; median "
                        f"{statistics.median(times):.1f} ms"})
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
