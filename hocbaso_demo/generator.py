"""The one generator of schools: the demo school (school.py) and the benchmark's district
(district.py) are both built by ``build_school`` with their own parameters.

Plain functions taking an ``env``, not a model: a model method would be callable by any
logged-in user over /web/dataset/call_kw. Deterministic: the same parameters and seed give the
same school. The order of the random draws is the school's identity (the demo's students,
marks and comments): keep it when editing.

Everything is made with one ``create`` per model and school (per class for students), with
tracking and chatter off: a district of 30,000 students is built in minutes, not hours.
"""

import random
from typing import NamedTuple


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
                      "Chăm chỉ, tiến bộ rõ ở học kì II.",
                      "Cần cố gắng hơn ở các môn tự nhiên."]
HOME_TOWNS = ["Nam Định", "Thái Bình", "Hà Nội", "Nghệ An"]
QUIET_CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
                 "mail_create_nosubscribe": True, "no_reset_password": True}
PORTAL_GROUP = "base.group_portal"
# groups whose members sign records, so get a certificate when certificates are made
SIGNING_GROUPS = {"hocbaso_odoo.group_subject_teacher", "hocbaso_odoo.group_homeroom_teacher",
                  "hocbaso_odoo.group_leadership", "hocbaso_odoo.group_issuer"}


class Person(NamedTuple):
    """A user of the school: ``groups`` are XML ids; a portal user (a parent) gets no
    personal ID, title or e-mail address."""

    login: str
    name: str
    groups: tuple
    title: str = ""


class ClassPlan(NamedTuple):
    name: str
    grade: int  # 1-12
    students: int
    homeroom: str  # login of a Person


def person_name(rnd, female):
    return " ".join([rnd.choice(FAMILY), rnd.choice(MIDDLE_F if female else MIDDLE_M),
                     rnd.choice(GIVEN_F if female else GIVEN_M)])


def class_layout(size, grades, class_size):
    """``size`` students spread evenly over ``grades``, in classes of at most ``class_size``
    named 1A1, 1A2, ...: [(class name, grade, students)]."""
    layout = []
    per_grade = [size // len(grades) + (1 if i < size % len(grades) else 0)
                 for i in range(len(grades))]
    for grade, count in zip(grades, per_grade):
        if not count:
            continue
        classes = -(-count // class_size)
        for number in range(classes):
            layout.append((f"{grade}A{number + 1}", grade,
                           count // classes + (1 if number < count % classes else 0)))
    return layout


def build_school(env, *, name, code, staff, classes, seed, levels=("02", "03"),
                 company_vals=None, year_name="2024-2025", user_prefix="",
                 email_domain="demo.invalid", passwords=True, subject_teachers=None,
                 first_serial=1, records=True, fill=True, leader=None, certificates=None):
    """Create a school; return a dict: company, year, users (login without prefix ->
    res.users), classes, students, records (in creation order), certificates.

    staff            [Person]; ``classes`` [ClassPlan] (homeroom: a staff login)
    levels           codes of the school's levels (02 primary, 03 lower secondary)
    passwords        each user's password is her login (the demo's logins); without, no
                     password is hashed (a district has a thousand users)
    subject_teachers {level code: {subject code: staff login}}; other subjects are taught by
                     the class's homeroom teacher
    first_serial     the first student's serial: a district continues it from school to school
                     (the personal IDs stay unique)
    records, fill    a draft record per student, with every result, rating and comment
                     filled as teachers enter them
    leader           login set as the records' signing leader (else chosen when locking)
    certificates     a certificates.Certificates: a signing certificate for every signer
                     and the school's seal
    """
    rnd = random.Random(seed)
    env = env(context=dict(env.context, **QUIET_CONTEXT))
    level_records = env["hocbaso.school.level"].search([("code", "in", tuple(levels))])
    company = env["res.company"].create(dict({
        "name": name, "hocbaso_is_school": True, "hocbaso_school_code": code,
        "hocbaso_department_code": code[:2], "hocbaso_department_name": "Sở GDĐT Hà Nội",
        "hocbaso_province_code": code[:2], "hocbaso_province_name": "Hà Nội",
        "hocbaso_commune_code": "00001", "hocbaso_commune_name": "Phường Ba Đình",
        "hocbaso_issue_place": "Hà Nội", "hocbaso_level_ids": [(6, 0, level_records.ids)],
    }, **(company_vals or {})))
    year = env["hocbaso.school.year"].search([("name", "=", year_name)]) or \
        env["hocbaso.school.year"].create({"name": year_name})
    users = _create_users(env, company, staff, rnd, user_prefix, email_domain, passwords)
    result = {"company": company, "year": year, "users": users,
              "classes": env["hocbaso.class"], "students": env["hocbaso.student"],
              "records": env["hocbaso.record"], "certificates": {}}
    grades = {plan.grade: env.ref(f"hocbaso_odoo.grade_{plan.grade:02d}") for plan in classes}
    class_records = env["hocbaso.class"].create([{
        "name": plan.name, "company_id": company.id, "school_year_id": year.id,
        "grade_id": grades[plan.grade].id, "homeroom_teacher_id": users[plan.homeroom].id,
    } for plan in classes])
    result["classes"] = class_records
    subjects = _subjects(env, grades.values())
    _assign(env, class_records, subjects, users, subject_teachers or {})
    # no issue date: the records state the day they are locked, shown once issued
    record_extra = {"school_year_id": year.id, "company_id": company.id}
    if leader:
        record_extra.update(leader_id=users[leader].id, leader_title=users[leader].hocbaso_title)
    rating_fields = [field for field in env["hocbaso.record"]._fields
                     if field.startswith(("nangluc", "phamchat"))]
    # Class by class: its students, then their records' results (the draws' order); the
    # records of every class are made in one create at the end.
    student_ids, record_vals, serial = [], [], first_serial
    for klass, plan in zip(class_records, classes):
        students = env["hocbaso.student"].create([
            _student_vals(company, klass, plan.grade, serial + i, rnd)
            for i in range(plan.students)])
        serial += plan.students
        student_ids += students.ids
        if records:
            record_vals += _record_vals(klass, record_extra, rating_fields, rnd, fill)
    result["students"] = env["hocbaso.student"].browse(student_ids)
    if record_vals:
        result["records"] = env["hocbaso.record"].create(record_vals)
        if fill:
            result["records"]._fill_computed_results()
    if certificates:
        result["certificates"] = certificates.register_school(env, company, [
            users[person.login] for person in staff if SIGNING_GROUPS & set(person.groups)])
    return result


def _record_vals(klass, extra, rating_fields, rnd, fill):
    """A draft record per student of ``klass``, in the class's order of students, with a line
    per assigned subject, as the class's Generate records button makes them; with ``fill``,
    every result, rating and comment entered."""
    lines = klass.assignment_ids.sorted(lambda a: (a.subject_id.sequence, a.subject_id.id))
    assessments = [a.subject_id.assessment for a in lines]
    # TT22: as many regular marks a semester as the subject's periods a year ask for
    regular_counts = [a.subject_id.regular_count for a in lines]
    primary = klass.grade_id.level_id.circular == "TT27"
    vals_list = []
    for student in klass.student_ids:
        vals = dict(extra, student_id=student.id, class_id=klass.id,
                    homeroom_teacher_id=klass.homeroom_teacher_id.id)
        line_vals = [{"subject_id": a.subject_id.id, "teacher_id": a.teacher_id.id,
                      "sequence": a.subject_id.sequence} for a in lines]
        if fill and primary:
            _fill_primary(vals, line_vals, assessments, rating_fields, rnd)
        elif fill:
            _fill_secondary(vals, line_vals, assessments, regular_counts, rnd)
        vals["line_ids"] = [(0, 0, line) for line in line_vals]
        vals_list.append(vals)
    return vals_list


def _lang(env):
    return "vi_VN" if env["res.lang"]._lang_get("vi_VN") else "en_US"


def _create_users(env, company, staff, rnd, prefix, email_domain, passwords):
    lang, group_ids, vals_list = _lang(env), {}, []
    for index, person in enumerate((p for p in staff if PORTAL_GROUP not in p.groups), start=1):
        # a valid CCCD (Hà Nội, female born in the 1970s-90s); unique is not required
        person_id = f"0011{70 + index % 30:02d}{rnd.randrange(10**6):06d}"[:12]
        vals_list.append((person, {"hocbaso_personal_id": person_id,
                                   "hocbaso_title": person.title,
                                   "email": f"{prefix}{person.login}@{email_domain}"}))
    vals_list += [(p, {}) for p in staff if PORTAL_GROUP in p.groups]
    for person, _vals in vals_list:
        for xmlid in person.groups:
            group_ids.setdefault(xmlid, env.ref(xmlid).id)
    created = env["res.users"].create([dict({
        "login": prefix + person.login, "name": person.name, "lang": lang,
        "company_id": company.id, "company_ids": [(6, 0, company.ids)],
        "groups_id": [(6, 0, [group_ids[xmlid] for xmlid in person.groups])],
    }, **vals, **({"password": prefix + person.login} if passwords else {}))
        for person, vals in vals_list])
    by_login = {person.login: user for (person, _vals), user in zip(vals_list, created)}
    return {person.login: by_login[person.login] for person in staff}


def _subjects(env, grades):
    """The compulsory subjects of each grade: {grade record: subjects}."""
    return {grade: env["hocbaso.subject"].search([
        ("level_id", "=", grade.level_id.id), ("grade_ids", "in", grade.id),
        ("requirement", "=", "compulsory")]) for grade in grades}


def _assign(env, classes, subjects, users, subject_teachers):
    vals_list = []
    for klass in classes:
        teachers = subject_teachers.get(klass.grade_id.level_id.code, {})
        for subject in subjects[klass.grade_id]:
            login = teachers.get(subject.code)
            teacher = users[login] if login else klass.homeroom_teacher_id
            vals_list.append({"class_id": klass.id, "subject_id": subject.id,
                              "teacher_id": teacher.id})
    env["hocbaso.teaching.assignment"].create(vals_list)


def _student_vals(company, klass, grade_number, serial, rnd):
    female = rnd.random() < 0.5
    birth_year = 2024 - 5 - grade_number
    name = person_name(rnd, female)
    month, day = rnd.randint(1, 12), rnd.randint(1, 28)
    century_sex = 3 if female else 2  # CCCD 4th digit for people born 2000–2099
    number = (int(company.hocbaso_school_code[-3:]) * 1000 + serial) % 10**6
    return {
        "name": name,
        "personal_id": f"001{century_sex}{birth_year % 100:02d}{number:06d}",
        "student_code": f"{company.hocbaso_school_code}{serial:05d}",
        "sex": "2" if female else "1",
        # every seventh student's birth date is only a year, as old registers have it
        "birth_date": f"{birth_year}-{month:02d}-{day:02d}" if serial % 7 else str(birth_year),
        "birth_place": "Hà Nội", "home_town": rnd.choice(HOME_TOWNS),
        "current_address": "Phường Ba Đình, Hà Nội", "ethnicity_code": "01",
        "nationality_code": "VN",
        "father_name": f"{name.split()[0]} Văn {rnd.choice(GIVEN_M)}",
        "mother_name": f"{rnd.choice(FAMILY)} Thị {rnd.choice(GIVEN_F)}",
        "company_id": company.id, "class_id": klass.id,
    }


def _marks(rnd, base, low, high, count):
    """``count`` regular marks around ``base`` (draws rnd ``count`` times, in order)."""
    return " ".join(f"{min(10, max(0, base + rnd.uniform(low, high))):.0f}"
                    for _ in range(count))


def _fill_primary(vals, lines, assessments, rating_fields, rnd):
    """TT27: a level per subject (and a test score where the subject has a test), the
    competency and quality ratings, comments, absences, weight and height."""
    for line, assessment in zip(lines, assessments):
        good = rnd.random() < 0.7
        line.update(level="T" if good else "H",
                    comment="Hoàn thành tốt nội dung môn học." if good else "Hoàn thành.")
        if assessment == "level_test":
            line["test_score"] = str(rnd.randint(8, 10) if good else rnd.randint(5, 8))
    vals.update({name: ("T" if rnd.random() < 0.75 else "Đ") for name in rating_fields})
    vals.update(homeroom_comment=rnd.choice(PRIMARY_COMMENTS),
                quality_comment="Chăm học, chăm làm, trung thực.",
                general_competency_comment="Tự giác, biết hợp tác với bạn.",
                specific_competency_comment="Đọc, viết, tính toán tốt.",
                absent_excused=rnd.randint(0, 4), absent_unexcused=rnd.randint(0, 1),
                weight_kg=str(rnd.randint(18, 40)), height_cm=str(rnd.randint(110, 150)))


def _fill_secondary(vals, lines, assessments, regular_counts, rnd):
    """TT22: comment-assessed subjects passed, the others' marks around a level per subject
    (the number of regular marks the subject's periods ask for), conduct, absences and the
    homeroom comment."""
    for line, assessment, count in zip(lines, assessments, regular_counts):
        if assessment == "comment":
            line.update(semester1="Đ", semester2="Đ", comment="Tích cực.")
            continue
        base = rnd.uniform(5.5, 9.5)
        line.update(s1_regular=_marks(rnd, base, -1.5, 1.5, count),
                    s1_midterm=f"{min(10, base + rnd.uniform(-1, 1)):.1f}",
                    s1_final=f"{min(10, base + rnd.uniform(-1, 1)):.1f}",
                    s2_regular=_marks(rnd, base, -1, 1.5, count),
                    s2_midterm=f"{min(10, base + rnd.uniform(-1, 1)):.1f}",
                    s2_final=f"{min(10, base + rnd.uniform(-0.5, 1)):.1f}",
                    comment="Nắm vững kiến thức cơ bản.")
    vals.update(conduct_s1="T", conduct_s2="T", conduct_year="T", absences=rnd.randint(0, 6),
                homeroom_comment=rnd.choice(SECONDARY_COMMENTS))

