"""The record as data (hocbaso.record.Record) and as the XML document that gets signed."""

import hashlib
import logging

import psycopg2

from odoo import _, fields, models
from odoo.exceptions import UserError

from hocbaso import record as rec
from hocbaso.errors import HocbasoError
from hocbaso.xmlprofile import DEFAULT_PROFILE, get_profile

from ..fields import XmlDocument
from ..tools import lib_message, workflow

_logger = logging.getLogger(__name__)


def _s(value):
    """Odoo gives False for empty values; the record contract wants ''."""
    return value or ""



def record_file_stem(person, school_year, version):
    """The one name of a record's files, before .xml, .pdf or .zip:
    hocba_001313000001_2024-2025_v1 (the school year as it is written, with its hyphen)."""
    return f"hocba_{person}_{school_year}_v{version}"

class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    # In the record's row, not an attachment: the signed document and the state that claims it
    # commit together, and a batch of signatures is one UPDATE instead of a file per record.
    # As the XML bytes, not base64 text (see XmlDocument).
    xml_document = XmlDocument(
        string="Record XML", attachment=False, readonly=True, copy=False,
        help="The record document. Built when results are locked; signatures are added to it.")
    xml_filename = fields.Char(compute="_compute_xml_filename")
    xml_sha256 = fields.Char(string="XML SHA-256", readonly=True, copy=False)
    xml_profile = fields.Char(string="XML Profile", readonly=True, copy=False)

    def init(self):
        super().init()
        # Every signature rewrites the whole document (tens of KB). PostgreSQL's default TOAST
        # compression (pglz) made those UPDATEs most of a signing batch's database time; lz4
        # (PostgreSQL 14+, when built with it) writes them about twice as fast. Rows already
        # stored keep their compression until they are written again.
        self.env.cr.execute("SHOW server_version_num")
        if int(self.env.cr.fetchone()[0]) < 140000:
            return
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    f'ALTER TABLE "{self._table}" ALTER COLUMN xml_document SET COMPRESSION lz4',
                    log_exceptions=False)
        except psycopg2.Error as err:  # a server built without lz4 keeps pglz
            _logger.info("xml_document stays with the default compression: %s", err)

    def _compute_xml_filename(self):
        for record in self:
            record.xml_filename = record_file_stem(
                record.personal_id or record.id, record.school_year_id.name,
                record.version) + ".xml"

    # --- Odoo record -> plain data ---------------------------------------------------------
    def _to_record_data(self):
        """This record as hocbaso.record.Record, the input of every XML profile."""
        self.ensure_one()
        company, student = self.company_id, self.student_id
        # subject names in the document's language, read once for every record being built
        subject_names = {subject.id: subject.name for subject in
                         self.line_ids.subject_id.with_context(lang=self._document_lang())}
        data = rec.Record(
            record_uuid=self.record_uuid,
            version=self.version,
            status=rec.STATUS_REVOKED if self.state == "revoked" else rec.STATUS_VALID,
            is_extract=self.is_extract,
            circular=self.circular,
            school_year=self.school_year_id.name,
            created_date=fields.Date.to_string(fields.Date.to_date(self.create_date))
            if self.create_date
            else "",
            issue_place=_s(self.issue_place),
            issue_date=fields.Date.to_string(self.issue_date) if self.issue_date else "",
            school=rec.SchoolInfo(
                department_code=_s(company.hocbaso_department_code),
                department_name=_s(company.hocbaso_department_name),
                code=_s(company.hocbaso_school_code),
                name=company.name,
                commune_code=_s(company.hocbaso_commune_code),
                commune_name=_s(company.hocbaso_commune_name),
                province_code=_s(company.hocbaso_province_code),
                province_name=_s(company.hocbaso_province_name),
                district_name=_s(company.hocbaso_district_name),
                level_code=self.level_id.code or "",
            ),
            student=rec.StudentInfo(
                register_no=_s(student.register_no),
                full_name=student.name,
                personal_id=_s(student.personal_id),
                # the document identifies only a student without a personal ID
                id_document_type="" if student.personal_id else _s(student.id_document_type),
                id_document_number="" if student.personal_id else _s(student.id_document_number),
                lifelong_code=_s(student.lifelong_code),
                student_code=_s(student.student_code),
                sex=int(student.sex or 0),
                birth_date=_s(student.birth_date),
                birth_place=rec.Address(
                    _s(student.birth_place),
                    _s(student.birth_place_commune_code),
                    _s(student.birth_place_province_code),
                ),
                home_town=rec.Address(
                    _s(student.home_town),
                    _s(student.home_town_commune_code),
                    _s(student.home_town_province_code),
                ),
                current_address=rec.Address(
                    _s(student.current_address),
                    _s(student.current_commune_code),
                    _s(student.current_province_code),
                ),
                ethnicity_code=_s(student.ethnicity_code),
                nationality_code=_s(student.nationality_code),
                policy_group=_s(student.policy_group),
                disability_not_assessed=student.disability_not_assessed,
                father_name=_s(student.father_name),
                mother_name=_s(student.mother_name),
                guardian_name=_s(student.guardian_name),
                father_job=_s(student.father_job) if self.circular == "TT22" else "",
                mother_job=_s(student.mother_job) if self.circular == "TT22" else "",
                guardian_job=_s(student.guardian_job) if self.circular == "TT22" else "",
            ),
            grade_code=self.grade_id.code or "",
            class_name=self.class_id.name or "",
            homeroom_teacher=self._person(self.homeroom_teacher_id),
            leader=self._person(self.leader_id, self.leader_title),
            homeroom_comment=_s(self.homeroom_comment),
            subjects=[self._subject_data(line, subject_names) for line in self.line_ids],
            history=[
                rec.StudyHistory(
                    school_year=h.school_year,
                    class_name=_s(h.class_name),
                    school_name=_s(h.school_name),
                    province_name=_s(h.province_name),
                    transfer_in_date=fields.Date.to_string(h.transfer_in_date)
                    if h.transfer_in_date
                    else "",
                )
                for h in student.history_ids
            ],
        )
        if self.circular == "TT27":
            data.primary = rec.PrimaryResult(
                competencies={n: self[n] for n in rec.PRIMARY_COMPETENCIES if self[n]},
                qualities={n: self[n] for n in rec.PRIMARY_QUALITIES if self[n]},
                quality_comment=_s(self.quality_comment),
                general_competency_comment=_s(self.general_competency_comment),
                specific_competency_comment=_s(self.specific_competency_comment),
                year_level=_s(self.year_level), award=_s(self.award),
                special_award=_s(self.special_award), promoted=self.promoted,
                completed_class=self.completed_class, completed_primary=self.completed_primary,
                completion_text=_s(self.completion_text), absent_excused=self.absent_excused,
                absent_unexcused=self.absent_unexcused, weight_kg=_s(self.weight_kg),
                height_cm=_s(self.height_cm),
            )
        else:
            data.secondary = rec.SecondaryResult(
                learning_s1=_s(self.learning_s1), learning_s2=_s(self.learning_s2),
                learning_year=_s(self.learning_year), conduct_s1=_s(self.conduct_s1),
                conduct_s2=_s(self.conduct_s2), conduct_year=_s(self.conduct_year),
                conduct_reassessed=_s(self.conduct_reassessed),
                learning_reassessed=_s(self.learning_reassessed),
                summer_training_note=_s(self.summer_training_note), absences=self.absences,
                promoted=self.promoted, promotion_text=_s(self.promotion_text),
                completed_lower_secondary=self.completed_lower_secondary,
                competition_results=_s(self.competition_results), award=_s(self.award),
                certificates=[rec.Certificate(c.name, _s(c.kind)) for c in self.certificate_ids],
            )
        return data

    @staticmethod
    def _person(user, title=""):
        if not user:
            return rec.Person()
        return rec.Person(name=user.name, personal_id=_s(user.hocbaso_personal_id),
                          title=_s(title or user.hocbaso_title))

    def _subject_data(self, line, subject_names):
        return rec.SubjectResult(
            code=line.subject_id.code, name=subject_names[line.subject_id.id],
            teacher=self._person(line.teacher_id),
            level=_s(line.level), test_score=_s(line.test_score),
            semester1=_s(line.semester1), semester2=_s(line.semester2),
            year=_s(line.year_result), retest=_s(line.retest), comment=_s(line.comment),
        )

    def _document_lang(self):
        """The record is a Vietnamese document: use Vietnamese names when the language is there."""
        return "vi_VN" if self.env["res.lang"]._lang_get("vi_VN") else self.env.lang

    # --- XML -----------------------------------------------------------------------------
    def _profile(self):
        """The school's format; a record it cannot carry (a student without personal ID or
        with a lifelong learning code, a grade-9 TT22 record and its completion of lower
        secondary school) takes the first one that can."""
        profile = get_profile(self.company_id.hocbaso_xml_profile or DEFAULT_PROFILE)
        student = self.student_id
        # every grade-9 record, completed or not: the format does not depend on the outcome
        grade_9 = self.circular == "TT22" and self.grade_id.number == 9
        if profile.version == "hocbaso-1.0" and (not student.personal_id
                                                 or student.lifelong_code or grade_9):
            profile = get_profile("hocbaso-1.1")
        return profile

    def _build_xml(self):
        """Build and validate this record's XML; a schema error becomes a clear user error."""
        self.ensure_one()
        try:
            return self._profile().build(self._to_record_data())
        except HocbasoError as err:
            details = list(err.errors) or [lib_message(self.env, err)]
            raise UserError(_(
                "The record of %(student)s cannot be turned into a valid document:\n%(errors)s",
                student=self.student_id.name, errors="\n".join(f"• {e}" for e in details))) from err

    def _store_xml(self, xml_bytes):
        """Keep the document (the signing layer adds signatures through this)."""
        self.ensure_one()
        with workflow(self.env):
            self.sudo().with_context(mail_notrack=True).write({
                "xml_document": xml_bytes,
                "xml_sha256": hashlib.sha256(xml_bytes).hexdigest(),
                "xml_profile": self._profile().version,
            })

    def _get_xml(self):
        self.ensure_one()
        return self._fields["xml_document"].raw_value(self)

    def action_lock(self):
        res = super().action_lock()
        for record in self:
            record._store_xml(record._build_xml())
        return res

    def action_unlock(self):
        res = super().action_unlock()
        with workflow(self.env):
            self.sudo().write({"xml_document": False, "xml_sha256": False})
        return res

    def action_download_xml(self):
        self.ensure_one()
        stored = self._get_xml()
        xml = stored or self._build_xml()
        if not stored:
            # a draft: download a preview without storing it
            attachment = self.env["ir.attachment"].create({
                "name": self.xml_filename, "raw": xml, "mimetype": "application/xml",
                "res_model": self._name, "res_id": self.id})
            return {
                "type": "ir.actions.act_url",
                "url": f"/web/content/{attachment.id}?download=true",
            }
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/xml_document/{self.xml_filename}"
                   "?download=true",
        }
