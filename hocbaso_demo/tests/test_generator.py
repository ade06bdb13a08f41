"""The one school generator, as the demo (school.py) and the benchmark (district.py) call it.

Runs with pytest-odoo on a database with the product addons (hocbaso_demo itself need not be
installed): ``pytest --odoo-database=DB hocbaso_demo/tests``.
"""

from odoo.tests import TransactionCase, tagged

from odoo.addons.hocbaso_demo import district, school
from odoo.addons.hocbaso_demo.certificates import Certificates


@tagged("post_install", "-at_install")
class TestGenerator(TransactionCase):

    def test_demo_school(self):
        result = school.build(self.env, code="01009997", user_prefix="gen_")
        users = result["users"]
        self.assertEqual(
            sorted(u.login for u in set(users.values())),
            sorted("gen_" + p.login for p in school.STAFF))
        self.assertEqual(result["classes"].mapped("name"), ["1A", "5A", "6A1", "9A"])
        # a logo of its own: Odoo's default one says "YOUR LOGO" on the first screens
        self.assertTrue(result["company"].logo_web)
        self.assertNotEqual(result["company"].logo, self.env.ref("base.main_company").logo)
        self.assertEqual(len(result["records"]), 32)
        self.assertEqual(set(result["records"].mapped("state")), {"draft"})
        self.assertEqual(result["classes"][0].homeroom_teacher_id, users["gvcn_tieuhoc"])
        self.assertEqual(result["classes"][3].homeroom_teacher_id, users["gvcn_thcs"])
        # lower secondary subjects by their subject teachers, primary by the homeroom teacher
        math = result["classes"][3].assignment_ids.filtered(
            lambda a: a.subject_id.code == "TOAN")
        self.assertEqual(math.teacher_id, users["gv_toan"])
        self.assertEqual(result["classes"][0].assignment_ids.teacher_id, users["gvcn_tieuhoc"])
        # every result filled: the computed year results are there, as teachers leave them
        primary = result["records"].filtered(lambda r: r.circular == "TT27")
        secondary = result["records"] - primary
        self.assertTrue(primary and all(primary.mapped("year_level")))
        self.assertTrue(secondary and all(secondary.mapped("learning_year")))
        self.assertTrue(all(line.level for line in primary.line_ids))
        # TT22: a scored subject has the regular marks its periods ask for (Toán 140 periods: 4)
        scored = secondary.line_ids.filtered(lambda line: line.assessment == "score")
        self.assertLessEqual({2, 4}, set(scored.subject_id.mapped("regular_count")))
        for line in scored:
            count = line.subject_id.regular_count
            self.assertEqual((len(line.s1_regular.split()), len(line.s2_regular.split())),
                             (count, count), line.subject_id.name)
        self.assertFalse(users["phuhuynh"].hocbaso_personal_id)
        self.assertTrue(users["phuhuynh"].has_group("base.group_portal"))

    def test_demo_speaks_vietnamese_and_english(self):
        """bin/demo's school: both languages in Preferences and on the public pages (/en/)."""
        school.activate_languages(self.env)
        Lang = self.env["res.lang"]
        self.assertLessEqual({"vi_VN", "en_US"}, set(dict(Lang.get_installed())))
        frontend = Lang._get_frontend()
        self.assertIn("en_US", frontend)
        self.assertEqual(frontend["en_US"]["url_code"], "en")
        self.assertIn("vi_VN", frontend)

    def test_demo_school_deterministic(self):
        first, second = (school.build(self.env, name=f"Demo {n}", code=f"0100999{n}",
                                      user_prefix=f"det{n}_", classes=(("5A", 5),),
                                      students_per_class=3) for n in (5, 6))
        self.assertEqual(first["students"].mapped("name"), second["students"].mapped("name"))
        self.assertEqual(first["records"].mapped("homeroom_comment"),
                         second["records"].mapped("homeroom_comment"))

    def test_district_schools(self):
        certs = Certificates()
        certs.trust(self.env)
        sizes = district.school_sizes(2100)
        self.assertEqual(sizes, [2000, 100])
        built, serial = [], 1
        for index, size in enumerate([40, 75]):
            built.append(district.build_school(self.env, index, size, first_serial=serial,
                                               certificates=certs))
            serial += size
        second = built[1]
        self.assertEqual(len(second["records"]), 75)
        self.assertEqual(second["classes"].mapped("name"),
                         ["1A1", "2A1", "3A1", "4A1", "5A1"])
        self.assertTrue(all(len(k.student_ids) <= district.CLASS_SIZE for k in second["classes"]))
        # a homeroom teacher per class; the specialists teach their subjects everywhere
        self.assertEqual(len(second["classes"].homeroom_teacher_id), 5)
        english = second["classes"].assignment_ids.filtered(lambda a: a.subject_id.code == "NN1")
        self.assertEqual(english.teacher_id, second["users"]["gv_anh"])
        # the personal IDs stay unique from school to school
        students = built[0]["students"] | second["students"]
        self.assertEqual(len(set(students.mapped("personal_id"))), 115)
        # a certificate for every signer, her personal ID in it, and the school's seal
        certificates = self.env["hocbaso.signing.certificate"].browse(
            [cid for key, cid in second["certificates"].items() if key != "seal"])
        signers = second["users"]["quantri"].browse(
            [uid for uid in second["certificates"] if uid != "seal"])
        self.assertNotIn(second["users"]["quantri"], signers)
        self.assertEqual(len(signers), len(district.STAFF) - 1 + 5)
        for certificate in certificates:
            self.assertEqual(certificate.personal_id, certificate.user_id.hocbaso_personal_id)
        seal = self.env["hocbaso.signing.certificate"].browse(second["certificates"]["seal"])
        self.assertEqual(seal.kind, "organisation")
        # ready to lock, as the benchmark's export stage does first
        records = second["records"][:5]
        records.with_user(second["users"]["quantri"]).action_lock()
        self.assertEqual(set(records.mapped("state")), {"locked"})
        self.assertEqual(records.leader_id, second["users"]["hieutruong"])
