"""The demo school of bin/demo and the tests: a primary and lower-secondary school with a
user for every role (password = login), four classes and filled draft records.

Built by the one generator (generator.py), as the benchmark's district is.
"""

import base64
import io

from . import generator
from .generator import ClassPlan, Person

G = "hocbaso_odoo."
STAFF = (
    Person("hieutruong", "Nguyễn Thị Hồng Hạnh", (G + "group_leadership",), "Hiệu trưởng"),
    Person("phohieutruong", "Trần Quốc Bảo", (G + "group_leadership",), "Phó hiệu trưởng"),
    Person("vanthu", "Lê Thu Trang", (G + "group_issuer",), "Văn thư"),
    Person("quantri", "Phạm Minh Tuấn", (G + "group_school_admin",), "Quản trị hệ thống"),
    Person("gvcn_tieuhoc", "Hoàng Thị Mai", (G + "group_homeroom_teacher",), "Giáo viên"),
    Person("gvcn_thcs", "Vũ Đức Long", (G + "group_homeroom_teacher",), "Giáo viên"),
    Person("gv_toan", "Đặng Văn Nam", (G + "group_subject_teacher",), "Giáo viên"),
    Person("gv_van", "Bùi Thị Lan", (G + "group_subject_teacher",), "Giáo viên"),
    Person("gv_anh", "Đỗ Ngọc Anh", (G + "group_subject_teacher",), "Giáo viên"),
    Person("gv_khtn", "Ngô Thanh Sơn", (G + "group_subject_teacher",), "Giáo viên"),
    Person("thanhtra", "Dương Văn Kiên", (G + "group_inspector",), "Chuyên viên Sở"),
    Person("phuhuynh", "Nguyễn Văn Thắng", (generator.PORTAL_GROUP,)),
)
# lower secondary subjects taught by a subject teacher; the others by the homeroom teacher
# (every primary subject too)
SUBJECT_TEACHERS = {"03": {"TOAN": "gv_toan", "NGUVAN": "gv_van", "NN1": "gv_anh",
                           "KHTN": "gv_khtn", "CONGNGHE": "gv_khtn", "TINHOC": "gv_toan"}}
HOMEROOM = {True: "gvcn_tieuhoc", False: "gvcn_thcs"}  # by primary
LANGUAGES = ("vi_VN", "en_US")


def build(env, name="Trường Tiểu học và THCS Hòa Bình (demo)", code="01001999",
          students_per_class=8, classes=(("1A", 1), ("5A", 5), ("6A1", 6), ("9A", 9)),
          year_name="2024-2025", seed=2024, user_prefix="", fill=True):
    """Create the demo school with staff, classes, students and draft records; return a dict.

    Keys: company, year, users (login without prefix -> res.users, and gvcn_primary /
    gvcn_secondary for the two homeroom teachers), classes, students, records.
    """
    result = generator.build_school(
        env, name=name, code=code, staff=STAFF, seed=seed, year_name=year_name,
        user_prefix=user_prefix, subject_teachers=SUBJECT_TEACHERS, fill=fill,
        classes=[ClassPlan(class_name, grade, students_per_class, HOMEROOM[grade <= 5])
                 for class_name, grade in classes])
    result["users"]["gvcn_primary"] = result["users"][HOMEROOM[True]]
    result["users"]["gvcn_secondary"] = result["users"][HOMEROOM[False]]
    result["company"].logo = emblem()
    return result


def emblem(colour=(21, 101, 192)) -> bytes:
    """A logo for a demo school or Sở (base64 PNG): an open book on a disc, without words.
    Odoo's default logo reads "YOUR LOGO", in English, on the login page and the navbar a
    first-time user sees before anything else."""
    from PIL import Image, ImageDraw

    size = 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill=colour)
    white = (255, 255, 255)
    # two pages meeting at the spine, and a few lines on each
    draw.polygon([(56, 86), (124, 100), (124, 186), (56, 172)], fill=white)
    draw.polygon([(200, 86), (132, 100), (132, 186), (200, 172)], fill=white)
    for y in (112, 130, 148):
        draw.line([(70, y - 6), (112, y + 2)], fill=colour, width=4)
        draw.line([(186, y - 6), (144, y + 2)], fill=colour, width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue())


def activate_languages(env):
    """Vietnamese and English side by side: users switch in Preferences, the public verify
    page answers under /vi/ and /en/ (an Odoo installed with --load-language=vi_VN leaves
    English inactive)."""
    for code in LANGUAGES:
        env["res.lang"]._activate_lang(code)


def sign_demo(env, result, folder, tsa_port=None):
    """Sign the records of ``build()``'s result into every state with a test PKI in ``folder``;
    with ``tsa_port``, each signature timestamped by the reference time-stamping authority
    run on that port.

    Test certificates only (password 1234): never for real records.
    """
    # imported here: building an unsigned school must not need the signing stack loaded
    from odoo.addons.hocbaso_odoo_sign.tools.demo import sign_demo as _sign_demo

    return _sign_demo(env, result, folder, tsa_port=tsa_port)
