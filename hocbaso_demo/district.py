"""The benchmark's district (bench/): primary schools (TT27) of any size, by the one
generator (generator.py) that builds the demo school too.

Each school has classes of up to 35 students over grades 1-5, a homeroom teacher per class,
four specialist teachers (foreign language, informatics, PE, arts), the principal, the seal
holder and the school administrator; every record filled, with its leader, waiting to be
locked; with ``certificates``, a signing certificate for every signer and the school's seal.
"""

import math
import random

from . import generator
from .generator import ClassPlan, Person

BIG_SCHOOL = 2000  # the first school: the "2,000-student school" target
SCHOOL_SIZE = 1200  # the others (30,000 = 2,000 + 24 x ~1,167: 25 schools)
CLASS_SIZE = 35
GRADES = (1, 2, 3, 4, 5)
G = "hocbaso_odoo."
STAFF = (
    Person("hieutruong", "Nguyễn Thị Hồng Hạnh", (G + "group_leadership",), "Hiệu trưởng"),
    Person("vanthu", "Lê Thu Trang", (G + "group_issuer",), "Văn thư"),
    Person("quantri", "Phạm Minh Tuấn", (G + "group_school_admin",), "Quản trị hệ thống"),
    Person("gv_anh", "Đỗ Ngọc Anh", (G + "group_subject_teacher",), "Giáo viên"),
    Person("gv_tin", "Đặng Văn Nam", (G + "group_subject_teacher",), "Giáo viên"),
    Person("gv_theduc", "Bùi Văn Hùng", (G + "group_subject_teacher",), "Giáo viên"),
    Person("gv_nghethuat", "Ngô Thị Hoa", (G + "group_subject_teacher",), "Giáo viên"),
)
# primary subjects taught by a specialist rather than the homeroom teacher
SUBJECT_TEACHERS = {"02": {"NN1": "gv_anh", "TINCN": "gv_tin", "GDTC": "gv_theduc",
                           "NGHETHUAT": "gv_nghethuat"}}


def school_sizes(students):
    """The first school has min(students, 2,000); the rest are split into ~1,200-student ones."""
    first = min(students, BIG_SCHOOL)
    rest = students - first
    count = math.ceil(rest / SCHOOL_SIZE) if rest > 0 else 0
    return [first] + [rest // count + (1 if i < rest % count else 0) for i in range(count)]


def build_school(env, index, size, first_serial=1, seed=2025, certificates=None):
    """School number ``index`` (from 0) of the district with ``size`` students, its records
    filled and its leader chosen (ready to lock); see generator.build_school."""
    rnd = random.Random(seed + index)  # the homeroom teachers' names
    layout = generator.class_layout(size, GRADES, CLASS_SIZE)
    homerooms = []
    for class_name, _grade, _count in layout:
        female = rnd.random() < 0.8  # most primary teachers are women
        homerooms.append(Person(f"gvcn_{class_name.lower()}", generator.person_name(rnd, female),
                                (G + "group_homeroom_teacher",), "Giáo viên"))
    return generator.build_school(
        env, name=f"Trường Tiểu học Bench {index + 1:02d}", code=f"0102{index + 1:04d}",
        levels=("02",), company_vals={
            "hocbaso_department_code": "01", "hocbaso_province_code": "01",
            "hocbaso_commune_code": f"{index + 1:05d}",
            "hocbaso_commune_name": f"Phường {index + 1}", "hocbaso_district_name": "Quận Bench"},
        staff=STAFF + tuple(homerooms), seed=seed + index, user_prefix=f"b{index + 1:02d}_",
        email_domain="bench.invalid", passwords=False, subject_teachers=SUBJECT_TEACHERS,
        first_serial=first_serial, leader="hieutruong", certificates=certificates,
        classes=[ClassPlan(name, grade, count, homeroom.login)
                 for (name, grade, count), homeroom in zip(layout, homerooms)])
