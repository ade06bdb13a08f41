"""Builds a realistic demo school (and, for benchmarks, the names of many) through the ORM.

Used by bin/demo, tests and bench/. Plain functions taking an ``env``, not a model: a model
method would be callable by any logged-in user over /web/dataset/call_kw. Deterministic: the
same seed gives the same school.
"""

import random

from odoo import fields

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
          "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Minh", "Đức", "Gia", "Quang", "Hữu", "Thành", "Anh"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Khánh", "Bảo", "Phương", "Minh", "Thanh"]
GIVEN_M = ["An", "Bảo", "Cường", "Dũng", "Huy", "Khang", "Long", "Nam", "Phúc", "Quân", "Sơn",
           "Tuấn", "Việt", "Hiếu", "Khôi", "Phong"]
GIVEN_F = ["Anh", "Châu", "Diệp", "Giang", "Hà", "Hương", "Lan", "Linh", "Mai", "Ngân", "Nhi",
           "Oanh", "Quyên", "Trang", "Vy", "Yến"]
PRIMARY_COMMENTS = ["Em chăm ngoan, tích cực tham gia các hoạt động.",
                    "Em tiếp thu bài nhanh, cần rèn chữ viết cẩn thận hơn.",
                    "Em hoà đồng với bạn bè, mạnh dạn phát biểu."]
SECONDARY_COMMENTS = ["Học sinh có ý thức học tập tốt, cần phát huy.",
                      "Chăm chỉ, tiến bộ rõ ở học kỳ II.",
                      "Cần cố gắng hơn ở các môn tự nhiên."]
HOME_TOWNS = ["Nam Định", "Thái Bình", "Hà Nội", "Nghệ An"]
QUIET_CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
                 "no_reset_password": True}


def build(env, name="Trường Tiểu học và THCS Hòa Bình (demo)", code="01001999",
          students_per_class=8, classes=(("1A", 1), ("5A", 5), ("6A1", 6), ("9A", 9)),
          year_name="2024-2025", seed=2024, user_prefix="", fill=True):
    """Create a school with staff, classes, students and draft records; return a dict.

    Keys: company, year, users (login without prefix -> res.users), classes, records.
    """
    rnd = random.Random(seed)
    env = env(context=dict(env.context, **QUIET_CONTEXT))
    ref = env.ref
    levels = env["hocbaso.school.level"].search([("code", "in", ("02", "03"))])
    company = env["res.company"].create({
        "name": name, "hocbaso_is_school": True, "hocbaso_school_code": code,
        "hocbaso_department_code": code[:2], "hocbaso_department_name": "Sở GDĐT Hà Nội",
        "hocbaso_province_code": code[:2], "hocbaso_province_name": "Hà Nội",
        "hocbaso_commune_code": "00001", "hocbaso_commune_name": "Phường Ba Đình",
        "hocbaso_issue_place": "Hà Nội", "hocbaso_level_ids": [(6, 0, levels.ids)],
    })
    year = env["hocbaso.school.year"].search([("name", "=", year_name)]) or \
        env["hocbaso.school.year"].create({"name": year_name})
    staff = _create_staff(env, company, user_prefix, rnd)
    result = {"company": company, "year": year, "users": staff, "classes": env["hocbaso.class"],
              "records": env["hocbaso.record"]}
    issue_date = fields.Date.to_date(f"{year_name[5:]}-05-31")
    serial = 0
    for class_name, grade_number in classes:
        grade = ref(f"hocbaso_odoo.grade_{grade_number:02d}")
        primary = grade_number <= 5
        homeroom = staff["gvcn_primary" if primary else "gvcn_secondary"]
        klass = env["hocbaso.class"].create({
            "name": class_name, "company_id": company.id, "school_year_id": year.id,
            "grade_id": grade.id, "homeroom_teacher_id": homeroom.id,
        })
        subjects = env["hocbaso.subject"].search([
            ("level_id", "=", grade.level_id.id), ("grade_ids", "in", grade.id),
            ("requirement", "=", "compulsory")])
        env["hocbaso.teaching.assignment"].create([{
            "class_id": klass.id, "subject_id": subject.id,
            "teacher_id": (homeroom if primary else _subject_teacher(staff, subject)).id,
        } for subject in subjects])
        students = []
        for _i in range(students_per_class):
            serial += 1
            students.append(_student_vals(company, klass, grade_number, serial, rnd))
        env["hocbaso.student"].create(students)
        records = klass._generate_records(issue_date=issue_date)
        if fill:
            for record in records:
                _fill_record(record, rnd)
        result["classes"] |= klass
        result["records"] |= records
    return result


def sign_demo(env, result, folder):
    """Sign the records of ``build()``'s result into every state with a test PKI in ``folder``.

    Test certificates only (password 1234): never for real records.
    """
    # imported here: building an unsigned school must not need the signing stack loaded
    from odoo.addons.hocbaso_odoo_sign.tools.demo import sign_demo as _sign_demo

    return _sign_demo(env, result, folder)


def _lang(env):
    return "vi_VN" if env["res.lang"]._lang_get("vi_VN") else "en_US"


def _create_staff(env, company, prefix, rnd):
    g = "hocbaso_odoo."
    people = [
        ("hieutruong", "Nguyễn Thị Hồng Hạnh", [g + "group_leadership"], "Hiệu trưởng"),
        ("phohieutruong", "Trần Quốc Bảo", [g + "group_leadership"], "Phó hiệu trưởng"),
        ("vanthu", "Lê Thu Trang", [g + "group_issuer"], "Văn thư"),
        ("quantri", "Phạm Minh Tuấn", [g + "group_school_admin"], "Quản trị hệ thống"),
        ("gvcn_tieuhoc", "Hoàng Thị Mai", [g + "group_homeroom_teacher"], "Giáo viên"),
        ("gvcn_thcs", "Vũ Đức Long", [g + "group_homeroom_teacher"], "Giáo viên"),
        ("gv_toan", "Đặng Văn Nam", [g + "group_subject_teacher"], "Giáo viên"),
        ("gv_van", "Bùi Thị Lan", [g + "group_subject_teacher"], "Giáo viên"),
        ("gv_anh", "Đỗ Ngọc Anh", [g + "group_subject_teacher"], "Giáo viên"),
        ("gv_khtn", "Ngô Thanh Sơn", [g + "group_subject_teacher"], "Giáo viên"),
        ("thanhtra", "Dương Văn Kiên", [g + "group_inspector"], "Chuyên viên Sở"),
    ]
    users = {}
    for index, (login, name, groups, title) in enumerate(people, start=1):
        users[login] = env["res.users"].create({
            "login": prefix + login, "password": prefix + login, "name": name,
            "email": f"{prefix}{login}@demo.invalid",
            "company_id": company.id, "company_ids": [(6, 0, company.ids)],
            "groups_id": [(6, 0, [env.ref(x).id for x in groups])],
            "hocbaso_personal_id": f"0011{70 + index:02d}{rnd.randrange(10**6):06d}"[:12],
            "hocbaso_title": title, "lang": _lang(env),
        })
    users["gvcn_primary"] = users["gvcn_tieuhoc"]
    users["gvcn_secondary"] = users["gvcn_thcs"]
    users["phuhuynh"] = env["res.users"].create({
        "login": prefix + "phuhuynh", "password": prefix + "phuhuynh",
        "name": "Nguyễn Văn Thắng",
        "company_id": company.id, "company_ids": [(6, 0, company.ids)],
        "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
        "lang": _lang(env),
    })
    return users


def _subject_teacher(staff, subject):
    by_code = {"TOAN": "gv_toan", "NGUVAN": "gv_van", "NN1": "gv_anh", "KHTN": "gv_khtn",
               "CONGNGHE": "gv_khtn", "TINHOC": "gv_toan"}
    return staff[by_code.get(subject.code, "gvcn_secondary")]


def _student_vals(company, klass, grade_number, serial, rnd):
    female = rnd.random() < 0.5
    birth_year = 2024 - 5 - grade_number
    name = " ".join([rnd.choice(FAMILY), rnd.choice(MIDDLE_F if female else MIDDLE_M),
                     rnd.choice(GIVEN_F if female else GIVEN_M)])
    month, day = rnd.randint(1, 12), rnd.randint(1, 28)
    century_sex = 3 if female else 2  # CCCD 4th digit for people born 2000–2099
    number = (int(company.hocbaso_school_code[-3:]) * 1000 + serial) % 10**6
    return {
        "name": name,
        "personal_id": f"001{century_sex}{birth_year % 100:02d}{number:06d}",
        "student_code": f"{company.hocbaso_school_code}{serial:05d}",
        "sex": "2" if female else "1",
        "birth_date": f"{birth_year}-{month:02d}-{day:02d}" if serial % 7 else str(birth_year),
        "birth_place": "Hà Nội", "home_town": rnd.choice(HOME_TOWNS),
        "current_address": "Phường Ba Đình, Hà Nội", "ethnicity_code": "01",
        "nationality_code": "VN",
        "father_name": f"{name.split()[0]} Văn {rnd.choice(GIVEN_M)}",
        "mother_name": f"{rnd.choice(FAMILY)} Thị {rnd.choice(GIVEN_F)}",
        "company_id": company.id, "class_id": klass.id,
    }


def _marks(rnd, base, low, high):
    """Three regular marks around ``base`` (draws rnd three times, in order)."""
    return " ".join(f"{min(10, max(0, base + rnd.uniform(low, high))):.0f}" for _ in range(3))


def _fill_record(record, rnd):
    # The order of the rnd draws is the school's identity: keep it when editing.
    if record.circular == "TT27":
        for line in record.line_ids:
            good = rnd.random() < 0.7
            vals = {"level": "T" if good else "H",
                    "comment": "Hoàn thành tốt nội dung môn học." if good else "Hoàn thành."}
            if line.assessment == "level_test":
                vals["test_score"] = str(rnd.randint(8, 10) if good else rnd.randint(5, 8))
            line.write(vals)
        ratings = {name: ("T" if rnd.random() < 0.75 else "Đ")
                   for name in record._fields if name.startswith(("nangluc", "phamchat"))}
        record.write(dict(ratings, homeroom_comment=rnd.choice(PRIMARY_COMMENTS),
                          quality_comment="Chăm học, chăm làm, trung thực.",
                          general_competency_comment="Tự giác, biết hợp tác với bạn.",
                          specific_competency_comment="Đọc, viết, tính toán tốt.",
                          absent_excused=rnd.randint(0, 4), absent_unexcused=rnd.randint(0, 1),
                          weight_kg=str(rnd.randint(18, 40)),
                          height_cm=str(rnd.randint(110, 150))))
    else:
        for line in record.line_ids:
            if line.assessment == "comment":
                line.write({"semester1": "Đ", "semester2": "Đ", "comment": "Tích cực."})
            else:
                base = rnd.uniform(5.5, 9.5)
                line.write({
                    "s1_regular": _marks(rnd, base, -1.5, 1.5),
                    "s1_midterm": f"{min(10, base + rnd.uniform(-1, 1)):.1f}",
                    "s1_final": f"{min(10, base + rnd.uniform(-1, 1)):.1f}",
                    "s2_regular": _marks(rnd, base, -1, 1.5),
                    "s2_midterm": f"{min(10, base + rnd.uniform(-1, 1)):.1f}",
                    "s2_final": f"{min(10, base + rnd.uniform(-0.5, 1)):.1f}",
                    "comment": "Nắm vững kiến thức cơ bản.",
                })
        record.write({"conduct_s1": "T", "conduct_s2": "T", "conduct_year": "T",
                      "absences": rnd.randint(0, 6),
                      "homeroom_comment": rnd.choice(SECONDARY_COMMENTS)})
    record._fill_computed_results()
