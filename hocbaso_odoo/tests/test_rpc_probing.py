"""Roles probing records they must not reach, through the web client's own RPC.

Each user logs in over HTTP and calls what the web client calls (/web/dataset/call_kw:
web_search_read, search_read, web_read, read, write, unlink, web_read_group, name_search,
search_count; /web/content for a stored document; the company switcher's
allowed_company_ids), aimed at another school's and another class's records. Every probe
must come back empty or refused, and nothing may change. The ORM-level checks of the same
rules are in test_access_rights.py.
"""

from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException, new_test_user

from .common import HocbasoCase

# a harmless change per model, for the write probes
WRITES = {"hocbaso.record": {"homeroom_comment": "x"}, "hocbaso.student": {"name": "x"},
          "hocbaso.record.line": {"comment": "x"}}


@tagged("post_install", "-at_install")
class TestRpcProbing(HocbasoCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # another school with its own class, student and record to aim at
        foreign_teacher = new_test_user(
            env, login="gv_khac", groups="hocbaso_odoo.group_subject_teacher", name="gv_khac",
            company_id=cls.other_school.id, company_ids=[(6, 0, cls.other_school.ids)])
        cls.foreign_class = env["hocbaso.class"].create({
            "name": "6B1", "company_id": cls.other_school.id, "school_year_id": cls.year.id,
            "grade_id": env.ref("hocbaso_odoo.grade_06").id})
        env["hocbaso.teaching.assignment"].create({
            "class_id": cls.foreign_class.id, "subject_id": cls.subj_math.id,
            "teacher_id": foreign_teacher.id})
        cls.foreign_student = env["hocbaso.student"].create({
            "name": "Phạm Thị Dung", "personal_id": "079313000009", "sex": "2",
            "company_id": cls.other_school.id, "class_id": cls.foreign_class.id})
        cls.foreign_record = cls.foreign_class._generate_records()
        assert cls.foreign_record.line_ids, "the probes need a subject line of another school"
        # a document to try to download: this school's record, locked
        cls.fill_secondary(cls.record)
        cls.record.with_user(cls.gvcn).action_lock()
        cls.document = cls.record._get_xml()

    # --- the web client's calls ----------------------------------------------------------------
    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def refused(self, model, method, *args, **kwargs):
        """The call fails with an access error (the web client shows it; nothing is done)."""
        with self.assertRaises(JsonRpcException) as caught:
            self.call(model, method, *args, **kwargs)
        self.assertIn(str(caught.exception),
                      ("odoo.exceptions.AccessError", "odoo.exceptions.MissingError"),
                      "%s.%s: refused for access" % (model, method))

    def probe(self, login, target, model="hocbaso.record"):
        """Every read and write path of the web client, as ``login``, at ``target``."""
        self.authenticate(login, login)
        ids = target.ids
        with self.subTest(login=login, model=model, target=target.display_name):
            listed = self.call(model, "web_search_read", [], specification={"display_name": {}})
            self.assertNotIn(target.id, [row["id"] for row in listed["records"]])
            self.assertEqual(self.call(model, "search_read", [("id", "in", ids)], ["id"]), [])
            self.assertEqual(self.call(model, "search_count", [("id", "in", ids)]), 0)
            found = self.call(model, "name_search", name=target.display_name[:6])
            self.assertNotIn(target.id, [row[0] for row in found])
            groups = self.call(model, "web_read_group", [("id", "in", ids)], ["id:count"],
                               ["company_id"])
            self.assertEqual(groups["length"], 0)
            self.refused(model, "web_read", ids, specification={"display_name": {}})
            self.refused(model, "read", ids, ["display_name"])
            self.refused(model, "write", ids, WRITES[model])
            self.refused(model, "unlink", ids)
        self.assertTrue(target.exists())

    # --- the probes ------------------------------------------------------------------------------
    def test_staff_cannot_reach_another_school(self):
        before = self.foreign_record.read(["state", "homeroom_comment", "write_date"])
        for login in ("gvbm_math", "gvcn", "principal", "issuer", "school_admin", "inspector"):
            self.probe(login, self.foreign_record)
            self.probe(login, self.foreign_student, "hocbaso.student")
            self.probe(login, self.foreign_record.line_ids[:1], "hocbaso.record.line")
        self.probe("other_admin", self.record)
        self.probe("other_admin", self.student, "hocbaso.student")
        self.assertEqual(self.foreign_record.read(["state", "homeroom_comment", "write_date"]),
                         before, "nothing changed")

    def test_teachers_cannot_reach_another_class(self):
        self.probe("gvbm_math", self.other_class_record)
        self.probe("gvbm_math", self.student_other_class, "hocbaso.student")
        self.probe("gvcn", self.other_class_record)
        self.probe("gvcn_other", self.record)
        self.probe("gvcn_other", self.record.line_ids[:1], "hocbaso.record.line")

    def test_company_switch_to_another_school_refused(self):
        """allowed_company_ids, which the company switcher sends, cannot name a school the
        user does not belong to."""
        self.authenticate("school_admin", "school_admin")
        with self.assertRaises(JsonRpcException) as caught:
            self.call("hocbaso.record", "search_read", [], ["id"],
                      context={"allowed_company_ids": [self.other_school.id]})
        self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        self.url_open("/web", allow_redirects=False)  # the session is still usable

    def test_stored_document_not_downloadable_elsewhere(self):
        url = "/web/content/hocbaso.record/%d/xml_document" % self.record.id
        self.authenticate("gvcn", "gvcn")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.document, "the homeroom teacher downloads it")
        for login in ("gvcn_other", "other_admin", "parent"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                response = self.url_open(url)
                self.assertIn(response.status_code, (403, 404))
                self.assertNotIn(self.document[:200], response.content)
        self.authenticate(None, None)
        response = self.url_open(url)
        self.assertNotIn(self.document[:200], response.content)

    def test_parent_cannot_reach_other_children(self):
        sibling_record = self.records.filtered(lambda r: r.student_id == self.student2)
        self.probe("parent", sibling_record)
        self.probe("parent", self.foreign_record)
        self.probe("other_parent", self.record)
