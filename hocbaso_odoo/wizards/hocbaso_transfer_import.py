"""Transfer in (chuyển trường đến): verify another school's signed records, then keep them.

Every file is verified (integrity, every signature, trusted chain) BEFORE anything of it is
stored; a file that fails is refused with the reason and leaves nothing behind.
"""

import base64
import hashlib
import io
import zipfile

from odoo import _, fields, models
from odoo.exceptions import UserError

from hocbaso import record as rec
from hocbaso.errors import HocbasoError
from hocbaso.safexml import DEFAULT_MAX_BYTES
from hocbaso.xmlprofile import detect_profile

from ..models.hocbaso_record_transfer import report_problems
from ..models.hocbaso_record_xml import record_file_stem
from ..tools import lib_message, lib_text

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a transfer bundle of many packages
MAX_PACKAGE_BYTES = 20 * 1024 * 1024  # one package (XML + PDF + attachments)
MAX_ENTRIES = 500
MAX_EXPANDED_BYTES = 200 * 1024 * 1024  # all packages of one bundle, decompressed


class HocbasoTransferImport(models.TransientModel):
    _name = "hocbaso.transfer.import"
    _description = "Import Records of a Transferred Student"

    upload = fields.Binary(string="File", required=True,
                           help="The transfer zip from the previous school, one record package "
                                "(zip) or one record XML.")
    upload_filename = fields.Char(string="File Name")
    state = fields.Selection([("upload", "Upload"), ("done", "Done")], default="upload")
    result_ids = fields.One2many("hocbaso.transfer.import.result", "wizard_id", string="Results")
    imported_count = fields.Integer(readonly=True)
    refused_count = fields.Integer(readonly=True)

    # --- reading the upload ---------------------------------------------------------------------
    @staticmethod
    def _read_member(archive, member, limit):
        if member.file_size > limit:
            return None
        with archive.open(member) as handle:
            data = handle.read(limit + 1)
        return data if len(data) <= limit else None

    def _split_upload(self, data, filename):
        """Yield (name, kind, bytes, error), kind "xml" or "package", one package at a time:
        the caller verifies each before the next is read, so a bundle of many highly
        compressed packages never sits in memory at once, and reading stops once the
        bundle has expanded to MAX_EXPANDED_BYTES."""
        filename = filename or "upload"
        if not zipfile.is_zipfile(io.BytesIO(data)):
            if len(data) > DEFAULT_MAX_BYTES:
                yield filename, "xml", None, _("The file is larger than 5 MB.")
            else:
                yield filename, "xml", data, None
            return
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in archive.infolist() if not m.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            yield filename, "package", None, _("Not a readable zip file (%s).", err)
            return
        if len(members) > MAX_ENTRIES:
            yield filename, "package", None, _("The zip holds too many files.")
            return
        nested = [m for m in members if m.filename.lower().endswith(".zip")]
        if not nested:  # a single record package
            yield filename, "package", data, None
            return
        budget = MAX_EXPANDED_BYTES
        for member in nested:
            if budget <= 0:
                yield member.filename, "package", None, _(
                    "Not read: the packages before it already expand to more than %(limit)s "
                    "MB. Send the remaining packages in another file.",
                    limit=MAX_EXPANDED_BYTES // 2**20)
                continue
            try:
                content = self._read_member(archive, member, MAX_PACKAGE_BYTES)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as err:
                yield member.filename, "package", None, _("Cannot be read (%s).", err)
                continue
            if content is None:
                budget -= MAX_PACKAGE_BYTES
                yield member.filename, "package", None, _("The package is too large.")
            else:
                budget -= len(content)
                yield member.filename, "package", content, None

    # --- the import ---------------------------------------------------------------------------
    def action_import(self):
        self.ensure_one()
        if not self.env.user.has_group("hocbaso_odoo.group_school_admin"):
            raise UserError(_("Only the school administrator can import transferred records."))
        data = base64.b64decode(self.upload or b"")
        if not data:
            raise UserError(_("Choose the file received from the previous school."))
        if len(data) > MAX_UPLOAD_BYTES:
            raise UserError(_("The file is larger than 50 MB."))
        results = []
        for name, kind, content, error in self._split_upload(data, self.upload_filename):
            if error:
                results.append({"filename": name, "status": "refused", "message": error})
                continue
            results.append(dict(self._import_one(name, kind, content), filename=name))
        self.result_ids.unlink()
        self.write({
            "state": "done",
            "result_ids": [(0, 0, vals) for vals in results],
            "imported_count": sum(1 for r in results if r["status"] == "imported"),
            "refused_count": sum(1 for r in results if r["status"] == "refused"),
        })
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
            "view_mode": "form", "target": "new", "name": _("Transfer In: Results"),
        }

    def _import_one(self, name, kind, content):
        Transfer = self.env["hocbaso.record.transfer"]
        report, trusted = Transfer._hocbaso_verify(content, is_package=kind == "package")
        if not trusted:
            return {"status": "refused", "message": _(
                "No list of trusted certification authorities is configured: the signatures "
                "cannot be confirmed, so nothing was imported.")}
        if not report.valid:
            return {"status": "refused", "message": _("Verification failed: %s",
                                                         report_problems(report, self.env))}
        if not report.complete:
            return {"status": "refused", "message": _(
                "The record is not completely signed (missing: %s): only issued records can be "
                "imported.", ", ".join(lib_text(self.env, label) for label in report.missing))}
        xml = content
        if kind == "package":
            from hocbaso.verify import find_record_in_zip
            xml = find_record_in_zip(content)[1]
        try:
            data = detect_profile(xml).parse(xml)
        except HocbasoError as err:
            details = list(err.errors) or [lib_message(self.env, err)]
            return {
                "status": "refused",
                "message": _("The record cannot be read: %s", "; ".join(details)),
            }
        company = self.env.company
        if data.school.code and data.school.code == company.hocbaso_school_code:
            return {"status": "refused", "message": _("This record was issued by this school.")}
        if Transfer.search_count(
            [
                ("record_uuid", "=", data.record_uuid),
                ("version", "=", data.version),
                ("company_id", "=", company.id),
            ]
        ):
            return {"status": "skipped", "message": _("Already imported.")}
        try:
            with self.env.cr.savepoint():
                student = self._match_student(data)
                self._add_history(student, data)
                transfer = Transfer.create(self._transfer_vals(student, data, xml, report))
                self.env["hocbaso.access.log"]._log("transfer_import", transfers=transfer,
                                                    detail=name)
        except (UserError, HocbasoError) as err:
            message = lib_message(self.env, err) if isinstance(err, HocbasoError) else err.args[0]
            return {"status": "refused", "message": message}
        return {"status": "imported", "transfer_id": transfer.id, "student_id": student.id,
                "message": _("%(student)s, %(year)s, version %(version)s, from %(school)s: "
                             "verified and imported.", student=data.student.full_name,
                             year=data.school_year, version=data.version, school=data.school.name)}

    def _match_student(self, data):
        Student = self.env["hocbaso.student"]
        personal_id = (data.student.personal_id or "").strip()
        document = (data.student.id_document_type, (data.student.id_document_number or "").strip())
        if personal_id:
            key = [("personal_id", "=", personal_id)]
        elif all(document):  # hocbaso-1.1: a student without a personal ID
            key = [("personal_id", "=", False), ("id_document_type", "=", document[0]),
                   ("id_document_number", "=", document[1]),
                   ("nationality_code", "=", data.student.nationality_code or False)]
        else:
            raise UserError(_("The record names no personal ID number for the student."))
        anywhere = Student.sudo().with_context(active_test=False).search(key, limit=1)
        if anywhere and anywhere.company_id != self.env.company:
            raise UserError(_(
                "The student with personal ID %(pid)s is registered at %(school)s in this "
                "database. That school must archive or hand over the student first.",
                pid=personal_id or document[1], school=anywhere.company_id.name))
        if anywhere:
            return Student.browse(anywhere.id)
        student = data.student
        return Student.create(
            {
                "name": student.full_name,
                "personal_id": personal_id or False,
                "id_document_type": False if personal_id else document[0],
                "id_document_number": False if personal_id else document[1],
                "lifelong_code": student.lifelong_code or False,
                "student_code": student.student_code or False,
                "sex": str(student.sex or 0),
                "birth_date": student.birth_date or False,
                "birth_place": student.birth_place.text or False,
                "home_town": student.home_town.text or False,
                "current_address": student.current_address.text or False,
                "ethnicity_code": student.ethnicity_code or "01",
                "nationality_code": student.nationality_code or "VN",
                "father_name": student.father_name or False,
                "mother_name": student.mother_name or False,
                "guardian_name": student.guardian_name or False,
                "company_id": self.env.company.id,
            }
        )

    def _add_history(self, student, data):
        """Study history from the signed record, plus the year of the record itself."""
        History = self.env["hocbaso.study.history"]
        existing = {(h.school_year, (h.school_name or "").strip()) for h in student.history_ids}
        lines = [
            (h.school_year, h.class_name, h.school_name, h.province_name) for h in data.history
        ]
        lines.append(
            (data.school_year, data.class_name, data.school.name, data.school.province_name)
        )
        today = fields.Date.context_today(self)
        for year, class_name, school_name, province in lines:
            key = (year, (school_name or "").strip())
            if not year or key in existing:
                continue
            existing.add(key)
            History.create({"student_id": student.id, "school_year": year,
                            "class_name": (class_name or "")[:10] or False,
                            "school_name": school_name or False,
                            "province_name": province or False, "transfer_in_date": today})

    def _transfer_vals(self, student, data, xml, report):
        return {
            "company_id": self.env.company.id, "student_id": student.id,
            "school_year": data.school_year, "class_name": data.class_name,
            "source_school_name": data.school.name, "source_school_code": data.school.code,
            "record_uuid": data.record_uuid, "version": data.version,
            "document_status": "revoked" if data.status == rec.STATUS_REVOKED else "valid",
            "is_extract": data.is_extract,
            "xml_document": base64.b64encode(xml),
            "xml_filename": record_file_stem(
                data.student.personal_id or data.student.id_document_number, data.school_year,
                data.version) + ".xml",
            "xml_sha256": hashlib.sha256(xml).hexdigest(),
            "verification_valid": report.valid,
            "verification_data": report.to_data(),
        }


class HocbasoTransferImportResult(models.TransientModel):
    _name = "hocbaso.transfer.import.result"
    _description = "Transfer Import: Result per File"

    wizard_id = fields.Many2one("hocbaso.transfer.import", required=True, ondelete="cascade")
    filename = fields.Char(string="File")
    status = fields.Selection([("imported", "Imported"), ("skipped", "Skipped"),
                               ("refused", "Refused")], required=True)
    message = fields.Text()
    transfer_id = fields.Many2one("hocbaso.record.transfer", string="Imported Record")
    student_id = fields.Many2one("hocbaso.student")
