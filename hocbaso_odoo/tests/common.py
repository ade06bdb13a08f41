from odoo.tests.common import TransactionCase, new_test_user


class HocbasoCase(TransactionCase):
    """Two schools, a primary and a lower-secondary class, teachers in every role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        cls.env = env
        ref = env.ref
        cls.level_primary = ref("hocbaso_odoo.school_level_02")
        cls.level_lower = ref("hocbaso_odoo.school_level_03")
        cls.school = env["res.company"].create({
            "name": "Trường Tiểu học và THCS Ánh Dương",
            "hocbaso_is_school": True,
            "hocbaso_school_code": "01001001",
            "hocbaso_department_code": "01",
            "hocbaso_province_code": "01",
            "hocbaso_issue_place": "Hà Nội",
            "hocbaso_department_name": "Sở Giáo dục và Đào tạo Hà Nội",
            "hocbaso_province_name": "Hà Nội",
            "hocbaso_commune_code": "00004",
            "hocbaso_commune_name": "Phường Ba Đình",
            "hocbaso_level_ids": [(6, 0, (cls.level_primary | cls.level_lower).ids)],
        })
        cls.other_school = env["res.company"].create({
            "name": "Trường THCS Bình Minh",
            "hocbaso_is_school": True,
            "hocbaso_school_code": "79002002",
            "hocbaso_level_ids": [(6, 0, cls.level_lower.ids)],
        })
        cls.year = env["hocbaso.school.year"].create({"name": "2024-2025"})

        serial = iter(range(1, 100))

        def user(login, groups, company=None):
            company = company or cls.school
            created = new_test_user(env, login=login, groups=",".join(groups), name=login,
                                    company_id=company.id, company_ids=[(6, 0, [company.id])])
            created.hocbaso_personal_id = f"0011800000{next(serial):02d}"
            return created

        g = "hocbaso_odoo."
        cls.gvbm_math = user("gvbm_math", [g + "group_subject_teacher"])
        cls.gvbm_lit = user("gvbm_lit", [g + "group_subject_teacher"])
        cls.gvcn = user("gvcn", [g + "group_homeroom_teacher"])
        cls.gvcn_other_class = user("gvcn_other", [g + "group_homeroom_teacher"])
        cls.principal = user("principal", [g + "group_leadership"])
        cls.issuer = user("issuer", [g + "group_issuer"])
        cls.school_admin = user("school_admin", [g + "group_school_admin"])
        cls.inspector = user("inspector", [g + "group_inspector"])
        cls.other_school_admin = user("other_admin", [g + "group_school_admin"], cls.other_school)
        cls.parent = new_test_user(
            env,
            login="parent",
            groups="base.group_portal",
            name="Phụ huynh",
            company_id=cls.school.id,
            company_ids=[(6, 0, [cls.school.id])],
        )
        cls.other_parent = new_test_user(env, login="other_parent", groups="base.group_portal",
                                         name="Phụ huynh khác", company_id=cls.school.id,
                                         company_ids=[(6, 0, [cls.school.id])])

        Subject = env["hocbaso.subject"]
        cls.subj_math = Subject.search(
            [("code", "=", "TOAN"), ("level_id", "=", cls.level_lower.id)]
        )
        cls.subj_lit = Subject.search(
            [("code", "=", "NGUVAN"), ("level_id", "=", cls.level_lower.id)]
        )
        cls.subj_pe = Subject.search([("code", "=", "GDTC"), ("level_id", "=", cls.level_lower.id)])
        cls.klass = env["hocbaso.class"].create({
            "name": "6A1", "company_id": cls.school.id, "school_year_id": cls.year.id,
            "grade_id": ref("hocbaso_odoo.grade_06").id, "homeroom_teacher_id": cls.gvcn.id,
        })
        cls.other_class = env["hocbaso.class"].create(
            {
                "name": "6A2",
                "company_id": cls.school.id,
                "school_year_id": cls.year.id,
                "grade_id": ref("hocbaso_odoo.grade_06").id,
                "homeroom_teacher_id": cls.gvcn_other_class.id,
            }
        )
        env["hocbaso.teaching.assignment"].create(
            [
                {
                    "class_id": cls.klass.id,
                    "subject_id": cls.subj_math.id,
                    "teacher_id": cls.gvbm_math.id,
                },
                {
                    "class_id": cls.klass.id,
                    "subject_id": cls.subj_lit.id,
                    "teacher_id": cls.gvbm_lit.id,
                },
                {
                    "class_id": cls.klass.id,
                    "subject_id": cls.subj_pe.id,
                    "teacher_id": cls.gvbm_lit.id,
                },
                {
                    "class_id": cls.other_class.id,
                    "subject_id": cls.subj_lit.id,
                    "teacher_id": cls.gvbm_lit.id,
                },
            ]
        )
        Student = env["hocbaso.student"]
        cls.student = Student.create({
            "name": "Nguyễn Văn An", "personal_id": "001213000001", "sex": "1",
            "birth_date": "2013-09", "company_id": cls.school.id, "class_id": cls.klass.id,
            "student_code": "HS0001", "birth_place": "Hà Nội", "current_address": "Ba Đình, Hà Nội",
            "guardian_user_ids": [(6, 0, cls.parent.ids)],
        })
        cls.student2 = Student.create({
            "name": "Trần Thị Bình", "personal_id": "001313000002", "sex": "2",
            "birth_date": "2013", "company_id": cls.school.id, "class_id": cls.klass.id,
            "student_code": "HS0002", "birth_place": "Hà Nội", "current_address": "Ba Đình, Hà Nội",
        })
        cls.student_other_class = Student.create(
            {
                "name": "Lê Minh Châu",
                "personal_id": "001213000003",
                "sex": "1",
                "student_code": "HS0003",
                "company_id": cls.school.id,
                "class_id": cls.other_class.id,
            }
        )
        cls.records = cls.klass._generate_records()
        cls.record = cls.records.filtered(lambda r: r.student_id == cls.student)
        cls.other_class_record = cls.other_class._generate_records()

    @classmethod
    def load_vietnamese(cls):
        """vi_VN active with the terms users read (menus, labels, states) of the installed
        addons, as a school's database has them."""
        cls.env["res.lang"]._activate_lang("vi_VN")
        modules = cls.env["ir.module.module"].search([
            ("state", "=", "installed"), "|", ("name", "in", ("base", "web", "mail")),
            ("name", "=like", "hocbaso_%")]).mapped("name")
        cls.env["ir.module.module"]._load_module_terms(modules, ["vi_VN"], overwrite=True)

    @classmethod
    def fill_secondary(cls, record, math=("7.5", "8.5"), lit=("6.0", "7.0")):
        """Give a TT22 record complete results (as the admin, while it is a draft)."""
        lines = {line.subject_code: line for line in record.line_ids}
        lines["TOAN"].write({"semester1": math[0], "semester2": math[1]})
        lines["NGUVAN"].write({"semester1": lit[0], "semester2": lit[1]})
        lines["GDTC"].write({"semester1": "Đ", "semester2": "Đ"})
        record.write({"conduct_year": "T", "homeroom_comment": "Chăm ngoan, học tốt."})
