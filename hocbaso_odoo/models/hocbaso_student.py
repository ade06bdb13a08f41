import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from hocbaso import validation
from hocbaso.errors import HocbasoError
from hocbaso.xmlprofile.v1_1 import DOCUMENT_TYPES

from ..tools import raise_as_validation_error

SEX_SELECTION = [("0", "Unknown"), ("1", "Male"), ("2", "Female")]  # QCVN 109:2017
# LOAI_GIAY_TO of the hocbaso-1.1 profile; the labels are the profile's, for translation here
DOCUMENT_TYPE_SELECTION = [("HO_CHIEU", "Passport"), ("GIAY_KHAI_SINH", "Birth Certificate"),
                           ("KHAC", "Other Identity Document")]
assert {code for code, _label in DOCUMENT_TYPE_SELECTION} == set(DOCUMENT_TYPES)


class HocbasoStudent(models.Model):
    _name = "hocbaso.student"
    _description = "Student"
    _inherit = ["mail.thread"]
    _order = "name"
    _check_company_auto = True

    name = fields.Char(string="Full Name", required=True, tracking=True)  # <hovaten> in the XML
    personal_id = fields.Char(
        string="Personal ID Number", tracking=True,
        help="sodinhdanh: the 12-digit personal identification number (CCCD). A student "
             "without one (a foreign student, or one whose parents have not obtained it yet) "
             "is identified by an identity document until it is entered.",
    )
    id_document_type = fields.Selection(
        DOCUMENT_TYPE_SELECTION, string="Identity Document", tracking=True,
        help="For a student without a personal ID: a passport (with the nationality), a birth "
             "certificate, or another document.")
    id_document_number = fields.Char(string="Document Number", tracking=True)
    lifelong_code = fields.Char(
        string="Lifelong Learning Code", tracking=True,
        help="The learner's lifelong learning code, where they have one; carried in the record.")
    student_code = fields.Char(size=20)  # <mahocsinh> in the XML
    register_no = fields.Char(string="Register Number")  # <sosodangbo> in the XML
    sex = fields.Selection(SEX_SELECTION, required=True, default="0")
    birth_date = fields.Char(  # as the record's XML carries it
        string="Date of Birth (YYYY-MM-DD)",
        help="YYYY-MM-DD, or YYYY-MM / YYYY when only part is known.")
    birth_date_shown = fields.Char(
        string="Date of Birth", compute="_compute_birth_date_shown",
        inverse="_inverse_birth_date_shown",
        help="DD/MM/YYYY, or MM/YYYY / YYYY when only part is known.")
    birth_place = fields.Char(string="Place of Birth")
    birth_place_commune_code = fields.Char(string="Birth Commune Code", size=5)
    birth_place_province_code = fields.Char(string="Birth Province Code", size=2)
    home_town = fields.Char()
    home_town_commune_code = fields.Char(size=5)
    home_town_province_code = fields.Char(size=2)
    current_address = fields.Char()
    current_commune_code = fields.Char(size=5)
    current_province_code = fields.Char(size=2)
    ethnicity_code = fields.Char(size=3, default="01",
                                 help="dantoc, 01 = Kinh")
    nationality_code = fields.Char(size=2, default="VN")
    policy_group = fields.Char()  # <doituongchinhsach> in the XML
    disability_not_assessed = fields.Boolean(
        string="Disability: Not Rated",
        help="cokhuyettatkhongdanhgia: ratings become optional for this student.",
    )
    father_name = fields.Char(string="Father's Name")
    father_job = fields.Char(string="Father's Occupation")
    mother_name = fields.Char(string="Mother's Name")
    mother_job = fields.Char(string="Mother's Occupation")
    guardian_name = fields.Char(string="Guardian's Name")
    guardian_job = fields.Char(string="Guardian's Occupation")
    guardian_user_ids = fields.Many2many(
        "res.users",
        "hocbaso_student_guardian_rel",
        "student_id",
        "user_id",
        string="Parent Portal Users",
        help="Parents or guardians who may read this student's records.",
    )
    user_id = fields.Many2one("res.users", string="Student Portal User")
    company_id = fields.Many2one(
        "res.company", string="School", required=True, default=lambda self: self.env.company
    )
    class_id = fields.Many2one("hocbaso.class", string="Current Class", check_company=True,
                               tracking=True)
    history_ids = fields.One2many("hocbaso.study.history", "student_id", string="Study History")
    record_ids = fields.One2many("hocbaso.record", "student_id", string="Records")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("personal_id_unique", "UNIQUE(personal_id)",
         "Another student already has this personal ID number."),
        ("id_document_unique", "UNIQUE(id_document_type, id_document_number, nationality_code)",
         "Another student already has this identity document."),
        ("lifelong_code_unique", "UNIQUE(lifelong_code)",
         "Another student already has this lifelong learning code."),
    ]

    @api.constrains("personal_id", "birth_date", "sex", "id_document_type",
                    "id_document_number")
    def _check_personal_id(self):
        for student in self:
            if not student.personal_id:
                if not (student.id_document_type and student.id_document_number):
                    raise ValidationError(_(
                        "%(student)s has no personal ID number: enter it, or, until there is "
                        "one, the type and number of an identity document (a passport with "
                        "the nationality, or a birth certificate).", student=student.name))
                continue
            try:
                validation.check_personal_id(
                    student.personal_id, birth_date=student.birth_date or None,
                    sex=student.sex if student.sex in ("1", "2") else None)
            except HocbasoError as err:
                raise_as_validation_error(self.env, err)

    @api.depends("birth_date")
    def _compute_birth_date_shown(self):
        for student in self:
            student.birth_date_shown = validation.show_partial_date(student.birth_date)

    def _inverse_birth_date_shown(self):
        for student in self:
            text = validation.normalize_text(student.birth_date_shown or "")
            try:
                student.birth_date = validation.parse_shown_date(text) if text else False
            except HocbasoError as err:
                raise_as_validation_error(self.env, err)

    @api.constrains("birth_date")
    def _check_birth_date(self):
        for student in self.filtered("birth_date"):
            try:
                validation.check_partial_date(student.birth_date)
            except HocbasoError as err:
                raise_as_validation_error(self.env, err)

    @api.model
    def _normalise_vals(self, vals):
        for name in ("personal_id", "id_document_number", "lifelong_code"):
            if vals.get(name):
                vals[name] = vals[name].strip()
        return vals

    @api.constrains("id_document_number", "lifelong_code")
    def _check_document(self):
        """What the record's XML takes (hocbaso-1.1), said here rather than at locking."""
        for student in self:
            number = student.id_document_number or ""
            if number and not re.fullmatch(r"[A-Za-z0-9./\-]{3,30}", number):
                raise ValidationError(_(
                    "The document number %(number)s of %(student)s: use 3 to 30 letters, "
                    "digits, dots, slashes or hyphens, as printed on the document.",
                    number=number, student=student.name))
            code = student.lifelong_code or ""
            if code and not re.fullmatch(r"[A-Za-z0-9\-]{6,30}", code):
                raise ValidationError(_(
                    "The lifelong learning code %(code)s of %(student)s: use 6 to 30 letters, "
                    "digits or hyphens.", code=code, student=student.name))

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._normalise_vals(dict(vals)) for vals in vals_list])

    def write(self, vals):
        return super().write(self._normalise_vals(dict(vals)))
