"""Every door to a signed record, tried by every role: generated, not hand-listed.

The models are found in the registry (hocbaso.record and every model with a stored many2one
to it), their fields through ``fields_get``, so a field or a model added later is probed
without editing this file. Each role logs in over HTTP and calls ``/web/dataset/call_kw``
as the web client does (``write``, ``create``, ``unlink``, ``copy``, ``load``), aimed at a
record in each workflow state. Expected, whatever the role (the Odoo administrator too):

- a record carrying a signature: every stored field of it and of every row that belongs to
  it is refused, and nothing can be added to it or removed from it;
- any record, a draft too: a field shown read-only (what the system sets: the document, its
  hash, the state, the version, the revocation...) is refused.

A refusal must be an error the user reads in Vietnamese, and the row (and its attachments)
must be byte for byte what it was: an md5 of the row's text in PostgreSQL before and after.
"""

import json
import os
import re

from odoo.tests import HttpCase, tagged

from odoo.addons.hocbaso_odoo_sign.tests.common import SignCase

# a letter only Vietnamese writes (the refusal must be in the reader's language)
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
# English state names that must not reach a Vietnamese reader
ENGLISH_STATES = re.compile(r"\b(Draft|Issued|Revoked|Superseded|Results Locked|Signed by)\b")
SIGNED_STATES = ("gvbm_signed", "gvcn_signed", "leader_signed", "issued", "revoked",
                 "superseded")
ATTACK = "writes to signed records and system fields, through every door"


def note_cases(attack, tried, failed):
    """Tell the reliability summary (conftest.py at the repository root) how many cases one
    test tried; a no-op outside the pytest run."""
    path = os.environ.get("HOCBASO_RELIABILITY_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"attack": attack, "tried": tried, "failed": failed}) + "\n")


@tagged("post_install", "-at_install")
class TestSealedProbe(SignCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.load_vietnamese()
        admin = env.ref("base.user_admin")
        admin.write({"company_ids": [(4, cls.school.id)], "company_id": cls.school.id,
                     "groups_id": [(4, env.ref("hocbaso_odoo.group_school_admin").id)]})
        cls.roles = {
            "gvbm": cls.gvbm_math, "gvcn": cls.gvcn, "hieutruong": cls.principal,
            "vanthu": cls.issuer, "quantri": cls.school_admin, "thanhtra": cls.inspector,
            "phuhuynh": cls.parent, "admin": admin}
        for user in cls.roles.values():
            user.lang = "vi_VN"
        admin.password = "admin"  # the login of the probes
        # one record per workflow state, each with a certificate (a row that belongs to it)
        students = env["hocbaso.student"].create([{
            "name": f"Học sinh {n}", "personal_id": f"00121300{n:04d}", "sex": "1",
            "student_code": f"HS{n:04d}", "birth_date": "2013",
            "company_id": cls.school.id, "class_id": cls.klass.id,
            "guardian_user_ids": [(6, 0, cls.parent.ids)]} for n in range(10, 16)])
        cls.klass._generate_records()
        pool = cls.records | env["hocbaso.record"].search([("student_id", "in", students.ids)])
        for record in pool:
            env["hocbaso.record.certificate"].create({"record_id": record.id,
                                                      "name": "Chứng chỉ tin học"})
        draft, locked, gvbm, gvcn, leader, issued, revoked, v1 = pool[:8]
        # a file field kept as an attachment (the revoked record gets its statement too)
        issued.write({"paper_scan": "JVBERi0xLjQgc2Nhbg==", "paper_scan_filename": "scan.pdf"})
        cls.lock_class(locked | gvbm | gvcn | leader | issued | revoked | v1)
        cls.sign_class(gvbm, "gvbm")
        cls.sign_class(gvcn, "gvcn")
        cls.sign_class(leader, "cbql")
        cls.sign_class(issued | revoked | v1, "phathanh")
        revoke = env["hocbaso.revoke.signed"].with_user(cls.issuer).with_context(
            active_ids=revoked.ids).create({"record_ids": [(6, 0, revoked.ids)],
                                            "reason": "Sai thông tin"})
        revoke.with_context(hocbaso_secret=cls.password).action_revoke()
        v2 = env["hocbaso.record"].browse(
            v1.with_user(cls.gvcn).action_create_correction()["res_id"])
        cls.lock_class(v2)
        cls.sign_class(v2, "phathanh")
        cls.by_state = {record.state: record for record in
                        (draft, locked, gvbm, gvcn, leader, issued, revoked, v1)}
        assert set(cls.by_state) == {"draft", "locked", *SIGNED_STATES}, cls.by_state
        (issued | revoked | v1)._log_access("view")  # access log rows belong to them too

    @classmethod
    def lock_class(cls, records):
        for record in records:
            cls.fill_secondary(record)
        records.with_user(cls.gvcn).action_lock()

    @classmethod
    def sign_class(cls, records, last_role):
        order = ["gvbm", "gvcn", "cbql", "phathanh"]
        for role in order[:order.index(last_role) + 1]:
            users = [cls.gvbm_math, cls.gvbm_lit] if role == "gvbm" else \
                [{"gvcn": cls.gvcn, "cbql": cls.principal, "phathanh": cls.issuer}[role]]
            for user in users:
                cert = cls.school_cert if role == "phathanh" else cls.certs[user]
                wizard = cls.env["hocbaso.sign.wizard"].with_user(user).with_context(
                    active_model="hocbaso.record", active_ids=records.ids).create(
                    {"role": role, "certificate_id": cert.id})
                wizard.with_context(hocbaso_secret=cls.password).action_sign()
                failed = wizard.result_ids.filtered(lambda r: r.status != "signed")
                assert not failed, failed.mapped("message")

    # --- the models and fields, from the registry ------------------------------------------------
    def owned_models(self):
        """hocbaso.record and each model with a stored many2one to it: {model: that field}."""
        owned = {"hocbaso.record": None}
        for name in self.env:
            model = self.env[name]
            if not name.startswith("hocbaso.") or model._abstract or model._transient:
                continue
            for fname, info in model.fields_get(attributes=["type", "relation", "store"]).items():
                if info["type"] == "many2one" and info["relation"] == "hocbaso.record" \
                        and info.get("store") and name != "hocbaso.record":
                    owned[name] = fname
                    break
        return owned

    def other_value(self, row, fname, info):
        """A value unlike the stored one, of the field's type."""
        kind = info["type"]
        current = row[fname]
        if kind in ("char", "text", "html"):
            return (current or "") + " x"
        if kind in ("integer", "float", "monetary"):
            return (current or 0) + 1
        if kind == "boolean":
            return not current
        if kind == "date":
            return "2001-01-01"
        if kind == "datetime":
            return "2001-01-01 00:00:00"
        if kind == "selection":
            options = [key for key, _label in info["selection"] if key != current]
            return options[0] if options else False
        if kind == "many2one":
            other = self.env[info["relation"]].sudo().search(
                [("id", "!=", current.id)], limit=1)
            return other.id or False
        if kind in ("one2many", "many2many"):
            return [(5, 0, 0)] if current else [(6, 0, [])]
        if kind == "binary":
            return "PHgvPg=="  # <x/>
        if kind in ("json", "properties"):
            return {"x": 1}
        return False

    def snapshot(self, model, ids):
        """md5 of each row's text and of its attachments' rows, straight from PostgreSQL."""
        self.env.flush_all()
        table = self.env[model]._table
        self.env.cr.execute(
            f'SELECT t.id, md5(t::text) FROM "{table}" t WHERE t.id IN %s ORDER BY t.id',
            [tuple(ids)])
        rows = self.env.cr.fetchall()
        self.env.cr.execute(
            "SELECT res_id, res_field, md5(a::text) FROM ir_attachment a WHERE res_model = %s "
            "AND res_id IN %s ORDER BY a.id", [model, tuple(ids)])
        return rows, self.env.cr.fetchall()

    # --- the calls ----------------------------------------------------------------------------
    def rpc(self, model, method, args, kwargs=None):
        """(result, error message) of a call the way the web client makes it (its context
        names the company and no language: the refusal must still be Vietnamese)."""
        kwargs = dict(kwargs or {}, context={"allowed_company_ids": [self.school.id]})
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                "model": model, "method": method, "args": args, "kwargs": kwargs}},
            default=str),
            headers={"Content-Type": "application/json"})
        body = response.json()
        if "error" in body:
            return None, body["error"]["data"]["message"]
        return body["result"], None

    def expect_refused(self, failures, case, model, ids, method, args, kwargs=None):
        before = self.snapshot(model, ids)
        result, message = self.rpc(model, method, args, kwargs)
        if method == "load" and message is None:
            # import answers with messages instead of raising
            message = None if result.get("ids") else " ".join(
                m.get("message", "") for m in result.get("messages", []))
        problems = []
        if message is None:
            problems.append("accepted")
        elif not VIETNAMESE.search(message) or ENGLISH_STATES.search(message):
            problems.append("not in Vietnamese: " + message)
        if self.snapshot(model, ids) != before:
            problems.append("the database changed")
        if problems:
            failures.append(f"{case}: {'; '.join(problems)}")

    def probe_attachments(self, failures):
        """The files of signed records, written as attachments (what the record stores in
        ir.attachment is the record's field)."""
        files = self.env["ir.attachment"].sudo().search([
            ("res_model", "=", "hocbaso.record"), ("res_field", "!=", False),
            ("res_id", "in", [r.id for r in self.by_state.values() if r.state in SIGNED_STATES])])
        self.assertEqual(set(files.mapped("res_field")),
                         {"paper_scan", "revocation_statement", "signed_pdf"})
        tried = 0
        for login, user in self.roles.items():
            self.authenticate(user.login, "admin" if login == "admin" else user.login)
            for attachment in files:
                case = f"{login} attachment {attachment.res_field}"
                for vals in ({"datas": "PHgvPg=="}, {"raw": "<x/>"}, {"name": "x"},
                             {"res_id": self.by_state["draft"].id}):
                    tried += 1
                    self.expect_refused(failures, f"{case} write {list(vals)}", "ir.attachment",
                                        attachment.ids, "write", [attachment.ids, vals])
                tried += 1
                self.expect_refused(failures, f"{case} unlink", "ir.attachment",
                                    attachment.ids, "unlink", [attachment.ids])
        return tried

    def test_every_door_every_role_every_state(self):
        owned = self.owned_models()
        self.assertTrue({"hocbaso.record", "hocbaso.record.line", "hocbaso.record.certificate",
                         "hocbaso.record.signature", "hocbaso.sync.entry"} <= set(owned),
                        "the models that belong to a record are found")
        specs = {model: {name: info for name, info in self.env[model].fields_get(
            attributes=["type", "relation", "selection", "store", "readonly"]).items()
            if info.get("store") and name not in ("id", "create_uid", "create_date",
                                                   "write_uid", "write_date")}
            for model in owned}
        tried, failures = 0, []
        for login, user in self.roles.items():
            self.authenticate(user.login, "admin" if login == "admin" else user.login)
            for state, record in self.by_state.items():
                sealed = state in SIGNED_STATES
                for model, link in owned.items():
                    rows = record if link is None else \
                        self.env[model].sudo().search([(link, "=", record.id)])
                    if not rows:
                        continue
                    row = rows[0]
                    for fname, info in specs[model].items():
                        if not (sealed or info.get("readonly")):
                            continue  # a draft's own content is the workflow's to allow
                        tried += 1
                        self.expect_refused(
                            failures, f"{login} {state} {model}.{fname} write", model, row.ids,
                            "write", [row.ids, {fname: self.other_value(row, fname, info)}])
                    if not sealed:
                        continue
                    tried += 2
                    self.expect_refused(failures, f"{login} {state} {model} unlink", model,
                                        row.ids, "unlink", [row.ids])
                    self.expect_refused(failures, f"{login} {state} {model} copy", model,
                                        rows.ids, "copy", [row.ids])
                    if link:
                        tried += 1
                        vals = row.sudo().copy_data()[0]
                        vals[link] = record.id
                        self.expect_refused(failures, f"{login} {state} {model} create", model,
                                            rows.ids, "create", [vals])
                if sealed:
                    tried += 1
                    self.expect_refused(
                        failures, f"{login} {state} import", "hocbaso.record", record.ids,
                        "load", [[".id", "homeroom_comment"], [[str(record.id), "x"]]])
        tried += self.probe_attachments(failures)
        note_cases(ATTACK, tried, len(failures))
        self.assertGreater(tried, 1000, "the probe is generated from the registry")
        kinds = {}
        for failure in failures:  # one line per model and problem, with a first example
            case, problem = failure.split(": ", 1)
            kinds.setdefault((case.split()[2].split(" ")[0].rsplit(".", 1)[0], problem[:60]),
                             failure)
        self.assertEqual(len(failures), 0, "%d of %d writes got through or were unclear:\n%s"
                         % (len(failures), tried, "\n".join(kinds.values())))
