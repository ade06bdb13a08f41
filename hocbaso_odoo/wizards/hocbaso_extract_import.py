"""Paper records of past years in bulk (trích lục): one spreadsheet and one zip of scans for a
whole class and school year.

Every row is checked before anything is created: the student (in the class, by personal ID or
identity document), each subject's result through the checks the record lines use, the
year's results, the scan through the record's own paper-scan check. If one row is rejected,
nothing is created and the clerk downloads the rejected rows, each with its reason. Otherwise
the records are created as drafts marked as extracts, through the normal models and with the
importer's own rights, and follow the normal flow (lock, sign, issue).
"""

import base64
import re
from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from hocbaso import validation
from hocbaso.errors import HocbasoError
from hocbaso.xmlprofile.v1_1 import DOCUMENT_TYPES

from ..models.hocbaso_record import COMPETENCY_FIELDS, LIVE_STATES, QUALITY_FIELDS
from ..models.hocbaso_record_paper_scan import MAX_SCAN_BYTES
from ..tools import extract_sheet as sheet_tools  # limits read at call time (tests lower them)
from ..tools import download_action, lib_message
from ..tools.extract_messages import sheet_message
from ..tools.extract_sheet import (
    FIXED_KEYS,
    KEY_ABSENCES,
    KEY_COMMENT,
    KEY_CONDUCT,
    KEY_DOC_NUMBER,
    KEY_DOC_TYPE,
    KEY_LEARNING,
    KEY_NAME,
    KEY_NO,
    KEY_PID,
    KEY_REASON,
    KEY_REGISTER,
    KEY_ROW,
    KEY_SCAN,
    KEY_YEAR_LEVEL,
    TEST_SUFFIX,
    Column,
    Entry,
    SheetError,
    person_key,
)

MAX_REGISTER_CHARS = 30


class HocbasoExtractImport(models.TransientModel):
    _name = "hocbaso.extract.import"
    _description = "Import Paper Records (Extracts)"

    class_id = fields.Many2one("hocbaso.class", required=True,
                               ondelete="cascade")
    school_year_id = fields.Many2one(related="class_id.school_year_id")
    # in the wizard's row, not the filestore: they go when the wizard does
    sheet_file = fields.Binary(
        string="Results Spreadsheet", attachment=False,
        help="The template of the class filled in (.xlsx), or a CSV file with its columns: "
             "one row per student.")
    sheet_filename = fields.Char()
    scans_file = fields.Binary(
        string="Scans (.zip)", attachment=False,
        help="One .zip holding the scan (PDF, JPEG, PNG or TIFF) of each student's paper "
             "record, named in the spreadsheet.")
    scans_filename = fields.Char()
    template_file = fields.Binary(string="Template", attachment=False, readonly=True)
    template_filename = fields.Char(readonly=True)
    rejected_file = fields.Binary(string="Rejected Rows", attachment=False, readonly=True)
    rejected_filename = fields.Char(readonly=True)
    state = fields.Selection([("upload", "Upload"), ("rejected", "Rows Rejected")],
                             default="upload", readonly=True)
    message = fields.Text(readonly=True)

    @api.model
    def default_get(self, fields_list):
        vals = super().default_get(fields_list)
        if self.env.context.get("active_model") == "hocbaso.class":
            vals["class_id"] = self.env.context.get("active_id")
        return vals

    # --- who, and which columns ----------------------------------------------------------------
    def _check_importer(self):
        klass = self.class_id
        klass.check_access("read")
        user = self.env.user
        # the record rules say the same: the homeroom teacher creates her class's records,
        # the leadership (and the school admin) any record of the school
        if klass.homeroom_teacher_id != user \
                and not user.has_group("hocbaso_odoo.group_leadership") \
                and not user.has_group("hocbaso_odoo.group_school_admin"):
            raise UserError(_("Only the homeroom teacher of %(klass)s or the school leadership "
                              "can import its paper records.", klass=klass.display_name))
        if not klass.assignment_ids:
            raise UserError(_("Class %(klass)s has no teaching assignments yet.",
                              klass=klass.display_name))

    def _columns(self):
        """The template's columns: who, the scan, one per subject taught in the class (two
        for a primary subject with a periodic test), then the year's results."""
        klass = self.class_id
        document_types = _("Identity document (HO_CHIEU, GIAY_KHAI_SINH, KHAC)")
        columns = [
            Column(KEY_NO, _("No."), "ignore"),
            Column(KEY_PID, _("Personal ID"), "pid"),
            Column(KEY_DOC_TYPE, document_types, "doc_type", choices=tuple(DOCUMENT_TYPES)),
            Column(KEY_DOC_NUMBER, _("Document number"), "doc_number"),
            Column(KEY_NAME, _("Full name"), "name"),
            Column(KEY_REGISTER, _("Register number"), "register"),
            Column(KEY_SCAN, _("Scan file name"), "scan", required=True),
        ]
        codes = set(FIXED_KEYS)
        assignments = klass.assignment_ids.sorted(lambda a: (a.subject_id.sequence,
                                                             a.subject_id.id))
        for assignment in assignments:
            subject, teacher = assignment.subject_id, assignment.teacher_id
            code = validation.normalize_code(subject.code)
            if code in codes:
                raise UserError(_("Two subjects of %(klass)s use the code %(code)s: give each "
                                  "subject a code of its own first.",
                                  klass=klass.display_name, code=code))
            codes.add(code)
            if subject.assessment in ("level", "level_test"):
                columns.append(Column(code, subject.name, "level", True, subject, teacher,
                                      validation.allowed_levels(validation.PRIMARY_SUBJECT)))
                if subject.assessment == "level_test":
                    label = _("%(subject)s – periodic test", subject=subject.name)
                    columns.append(Column(code + TEST_SUFFIX, label, "test", True, subject,
                                          teacher))
            else:
                choices = (validation.allowed_levels(validation.COMMENT_SUBJECT)
                           if subject.assessment == "comment" else ())
                columns.append(Column(code, subject.name, "result", True, subject, teacher,
                                      choices))
        if (klass.level_id.circular or "TT22") == "TT27":
            columns += self._primary_year_columns()
        else:
            levels = validation.allowed_levels(validation.LEARNING)
            columns += [
                Column(KEY_LEARNING, _("Learning result, year (T, K, Đ, CĐ)"), "rating", True,
                       choices=levels, field_name="learning_year",
                       level_kind=validation.LEARNING),
                Column(KEY_CONDUCT, _("Conduct result, year (T, K, Đ, CĐ)"), "rating", True,
                       choices=levels, field_name="conduct_year",
                       level_kind=validation.CONDUCT),
                Column(KEY_ABSENCES, _("Absences (half-days)"), "absences",
                       field_name="absences"),
            ]
        columns.append(Column(KEY_COMMENT, _("Homeroom teacher's comment"), "text",
                              field_name="homeroom_comment", max_chars=2000))
        return columns

    def _primary_year_columns(self):
        """TT27: the competencies, qualities and their comments (what the record's document
        needs before it can be locked; labelled as the record's fields), then the year."""
        Record = self.env["hocbaso.record"]
        columns = []
        for name in COMPETENCY_FIELDS + QUALITY_FIELDS:
            kind = validation.COMPETENCY if name.startswith("nangluc") else validation.QUALITY
            columns.append(Column(name.upper(), Record._fields[name]._description_string(self.env),
                                  "rating", choices=validation.allowed_levels(kind),
                                  field_name=name, level_kind=kind))
        for name, key in (("general_competency_comment", "NXETNANGLUCCHUNG"),
                          ("specific_competency_comment", "NXETNANGLUCDACTHU"),
                          ("quality_comment", "NXETPHAMCHAT")):
            columns.append(Column(key, Record._fields[name]._description_string(self.env),
                                  "text", field_name=name, max_chars=500))
        columns.append(Column(KEY_YEAR_LEVEL, _("Year result (HTXS, HTT, HT, CHT)"), "rating",
                              True, choices=validation.allowed_levels(validation.YEAR_LEVEL),
                              field_name="year_level", level_kind=validation.YEAR_LEVEL))
        return columns

    # --- the template ------------------------------------------------------------------------
    def action_download_template(self):
        """The class's template: its columns, and the students the class lists already."""
        self.ensure_one()
        self._check_importer()
        klass = self.class_id
        columns = self._columns()
        rows = []
        for number, student in enumerate(klass.student_ids.sorted("name"), start=1):
            known = {
                KEY_NO: str(number), KEY_PID: student.personal_id or "",
                KEY_DOC_TYPE: "" if student.personal_id else student.id_document_type or "",
                KEY_DOC_NUMBER: "" if student.personal_id else student.id_document_number or "",
                KEY_NAME: student.name, KEY_REGISTER: student.register_no or "",
            }
            rows.append([known.get(column.key, "") for column in columns])
        choices = {position: column.choices for position, column in enumerate(columns)
                   if column.choices}
        widths = {position: 30 for position, column in enumerate(columns)
                  if column.kind in ("name", "doc_type", "text")}
        titles = [column.title for column in columns]
        data = sheet_tools.write_workbook(klass.name, titles, rows, choices, widths)
        slug = re.sub(r"[^A-Za-z0-9-]+", "_", klass.name)
        filename = f"trich_luc_{slug}_{klass.school_year_id.name}.xlsx"
        self.write({"template_file": base64.b64encode(data), "template_filename": filename})
        return download_action(self, "template_file", "template_filename")

    def _sheet_message(self, err):
        return sheet_message(self.env, err, self.sheet_filename)

    def _empty_message(self, title):
        return _("%(column)s is empty: fill it in as on the paper record.", column=title)

    # --- the import --------------------------------------------------------------------------
    def _decoded(self, field_name, limit, code):
        value = self.with_context(bin_size=False)[field_name]
        if not value:
            return b""
        if len(value) > limit * 4 // 3 + 4:  # refused before decoding
            raise UserError(self._sheet_message(SheetError(code, limit=limit // sheet_tools.MB)))
        return base64.b64decode(value)

    def action_import(self):
        self.ensure_one()
        self._check_importer()
        self.env["hocbaso.rollout"]._check_class(self.class_id)
        columns = self._columns()
        sheet = self._decoded("sheet_file", sheet_tools.MAX_SHEET_BYTES, "too_large")
        if not sheet:
            raise UserError(_("Choose the spreadsheet of results (.xlsx or .csv)."))
        scans = self._decoded("scans_file", sheet_tools.MAX_SCANS_ZIP_BYTES, "scans_too_large")
        if not scans:
            raise UserError(_("Choose the .zip file of the scans of the paper records."))
        try:
            header, rows = sheet_tools.read_table(sheet, self.sheet_filename or "")
            archive = sheet_tools.ScanArchive(scans, MAX_SCAN_BYTES)
        except SheetError as err:
            raise UserError(self._sheet_message(err)) from None
        index = self._map_header(header, columns)
        entries = [self._check_row(row, index, columns, archive) for row in rows]
        self._flag_repeats(entries)
        if any(entry.problems for entry in entries):
            return self._reject(header, entries)
        records = self._create_records(entries, archive)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo.hocbaso_record_action")
        action["domain"] = [("id", "in", records.ids)]
        return action

    def _map_header(self, header, columns):
        """{column key: position in the file}; an unknown, repeated or missing column refuses
        the whole file (its rows could not be read right)."""
        by_key = {column.key: column for column in columns}
        index = {}
        for position, title in enumerate(header):
            key = sheet_tools.column_key(title) if title else ""
            if not key or key in (KEY_ROW, KEY_REASON):
                continue
            if key not in by_key:
                raise UserError(_(
                    "Column %(column)s, %(title)s, is not a column of the template of "
                    "%(klass)s. Download the template of the class and keep its header row.",
                    column=sheet_tools.column_letter(position), title=title,
                    klass=self.class_id.display_name))
            if key in index:
                raise UserError(_("Column %(title)s appears twice, in %(first)s and %(second)s.",
                                  title=title, first=sheet_tools.column_letter(index[key]),
                                  second=sheet_tools.column_letter(position)))
            index[key] = position
        missing = []
        if KEY_PID not in index and not (KEY_DOC_TYPE in index and KEY_DOC_NUMBER in index):
            missing.append(by_key[KEY_PID].title)
        for column in columns:
            if column.required and column.key not in index:
                missing.append(column.title)
        if missing:
            raise UserError(_("These columns are missing: %(columns)s. Download the template of "
                              "the class and keep its header row.", columns="; ".join(missing)))
        return index

    def _check_row(self, row, index, columns, archive):
        entry = Entry(row)
        for code, params in row.problems:
            entry.problems.append(self._sheet_message(SheetError(code, **params)))

        def value(key):
            return row.get(index.get(key))

        by_key = {column.key: column for column in columns}
        student = self._find_student(value, entry.problems, by_key)
        if student:
            entry.student = student
            self._check_student(entry, value)
        self._check_scan(entry, value(KEY_SCAN), by_key[KEY_SCAN], archive)
        rated = not (student and student.disability_not_assessed)  # ratings optional then
        lines = []
        for column in columns:
            if column.kind in ("level", "result"):
                line = self._line_vals(column, value, rated, entry.problems, by_key)
                if line:
                    lines.append(line)
        record_vals = self._record_vals(columns, value, rated, entry.problems)
        if not entry.problems:
            klass = self.class_id
            entry.vals = dict(
                record_vals, student_id=student.id, class_id=klass.id,
                school_year_id=klass.school_year_id.id, company_id=klass.company_id.id,
                homeroom_teacher_id=klass.homeroom_teacher_id.id, is_extract=True,
                paper_scan_filename=entry.member.filename.rsplit("/", 1)[-1],
                line_ids=[Command.create(line) for line in lines])
        return entry

    def _find_student(self, value, problems, by_key):
        """The student of the school the row names, with the user's rights; None if not."""
        school = self.class_id.company_id
        # as superuser to find the student only: a homeroom teacher may not read every
        # student of the school, and is told below when she may not read this one
        Student = self.env["hocbaso.student"].sudo().with_context(active_test=False)
        personal_id = re.sub(r"\s+", "", value(KEY_PID))
        if personal_id:
            if personal_id.isdigit() and 10 <= len(personal_id) < 12:
                # Excel drops the leading zeros of an ID typed in a number cell (001... is
                # Hà Nội): at most two, as province codes start at 001
                personal_id = personal_id.zfill(12)
            found = Student.search([("company_id", "=", school.id),
                                    ("personal_id", "=", personal_id)])
            if not found:
                problems.append(_("No student of %(school)s has the personal ID %(value)s.",
                                  school=school.name, value=personal_id))
                return None
        else:
            doc_type = validation.normalize_code(value(KEY_DOC_TYPE))
            number = value(KEY_DOC_NUMBER)
            if not (doc_type or number):
                problems.append(_("The row gives neither a personal ID nor an identity document "
                                  "(type and number)."))
                return None
            if doc_type not in DOCUMENT_TYPES:
                problems.append(_("%(value)s is not a type of identity document: use HO_CHIEU, "
                                  "GIAY_KHAI_SINH or KHAC.", value=doc_type or "∅"))
                return None
            if not number:
                problems.append(self._empty_message(by_key[KEY_DOC_NUMBER].title))
                return None
            found = Student.search([("company_id", "=", school.id),
                                    ("id_document_type", "=", doc_type),
                                    ("id_document_number", "=", number)])
            shown = f"{doc_type} {number}"
            if not found:
                problems.append(_("No student of %(school)s has the identity document "
                                  "%(value)s.", school=school.name, value=shown))
                return None
            if len(found) > 1:
                problems.append(_("Several students of %(school)s have the identity document "
                                  "%(value)s: give this student's personal ID instead.",
                                  school=school.name, value=shown))
                return None
        student = found.with_env(self.env)  # back to the user's own rights
        if not student.has_access("read"):
            problems.append(_("You may not read the data of this student: ask the school "
                              "administrator to import this row."))
            return None
        return student

    def _check_student(self, entry, value):
        klass, student, problems = self.class_id, entry.student, entry.problems
        year = klass.school_year_id
        other = student.class_id
        # a past year: the class of the student is now another, of another year
        if other and other != klass and other.school_year_id == year:
            problems.append(_("%(student)s is in class %(other)s in %(year)s, not in %(klass)s.",
                              student=student.name, other=other.name, year=year.name,
                              klass=klass.name))
        name = value(KEY_NAME)
        if name and person_key(name) != person_key(student.name):
            problems.append(_("The name %(name)s is not that of the student with this personal "
                              "ID or document, %(student)s.", name=name, student=student.name))
        # as superuser: a record of another class must not hide from the check
        if self.env["hocbaso.record"].sudo().search_count([
                ("student_id", "=", student.id), ("school_year_id", "=", year.id),
                ("state", "in", LIVE_STATES)], limit=1):
            problems.append(_("%(student)s already has a record for %(year)s. Correct that "
                              "record instead of creating another one.",
                              student=student.name, year=year.name))
        register = value(KEY_REGISTER)
        current = (student.register_no or "").strip()
        if not register or register == current:
            return
        if len(register) > MAX_REGISTER_CHARS:
            problems.append(_("The register number %(value)s is longer than %(limit)s "
                              "characters.", value=register, limit=MAX_REGISTER_CHARS))
        elif current:
            problems.append(_("The register number of %(student)s is %(current)s, not "
                              "%(value)s.", student=student.name, current=current,
                              value=register))
        elif not student.has_access("write"):
            problems.append(_("You may not change the data of %(student)s, so the register "
                              "number cannot be set: leave it empty, or ask the school "
                              "administrator.", student=student.name))
        else:
            entry.register_no = register

    def _check_scan(self, entry, name, column, archive):
        if not name:
            entry.problems.append(self._empty_message(column.title))
            return
        try:
            member = archive.find(name)
            entry.member = member  # found: another row naming it is a repeat
            content = archive.read(member)
        except SheetError as err:
            entry.problems.append(self._sheet_message(err))
            return
        # the record's own check (type and size), on a record not saved
        probe = self.env["hocbaso.record"].new({
            "paper_scan": base64.b64encode(content), "paper_scan_filename": name})
        try:
            probe._check_paper_scan()
        except ValidationError as err:
            entry.problems.append(err.args[0])

    def _line_vals(self, column, value, rated, problems, by_key):
        """A subject line's values, checked as the record line checks them; None if wrong."""
        subject = column.subject
        cells = [("level" if column.kind == "level" else "year_result", column.key)]
        if subject.assessment == "level_test":
            cells.append(("test_score", column.key + TEST_SUFFIX))
        vals = {"subject_id": subject.id, "teacher_id": column.teacher.id,
                "sequence": subject.sequence}
        for field_name, key in cells:
            text = value(key)
            if text:
                vals[field_name] = text
            elif rated:
                problems.append(self._empty_message(by_key[key].title))
        Line = self.env["hocbaso.record.line"]
        try:
            if vals.get("level"):  # a selection: a wrong code cannot even be put on a line
                vals["level"] = validation.check_level(validation.PRIMARY_SUBJECT, vals["level"])
            vals = Line._normalise_vals(vals)
            Line.new(dict(vals))._validate_values()
        except HocbasoError as err:
            problems.append(_("%(subject)s: %(problem)s", subject=subject.name,
                              problem=lib_message(self.env, err)))
            return None
        return vals

    def _record_vals(self, columns, value, rated, problems):
        """The record's own values: the year's results, ratings and comments."""
        vals = {}
        for column in columns:
            if column.kind not in ("rating", "absences", "text"):
                continue
            text = value(column.key)
            if not text:
                if column.required and rated:
                    problems.append(self._empty_message(column.title))
                continue
            try:
                if column.kind == "rating":
                    vals[column.field_name] = validation.check_level(column.level_kind, text)
                elif column.kind == "absences":
                    vals[column.field_name] = validation.check_secondary_absences(text)
                elif len(text) > column.max_chars:
                    problems.append(self._sheet_message(SheetError(
                        "cell_too_long", column=column.title, limit=column.max_chars)))
                else:
                    vals[column.field_name] = text
            except HocbasoError as err:
                problems.append(_("%(column)s: %(problem)s", column=column.label,
                                  problem=lib_message(self.env, err)))
        return vals

    def _flag_repeats(self, entries):
        """A student or a scan on two rows: both rows are refused (which one is right?)."""
        by_student, by_scan = defaultdict(list), defaultdict(list)
        for entry in entries:
            if entry.student:
                by_student[entry.student.id].append(entry)
            if entry.member:
                by_scan[entry.member.filename].append(entry)
        for group in by_student.values():
            if len(group) > 1:
                rows = ", ".join(str(entry.row.number) for entry in group)
                for entry in group:
                    entry.problems.append(_("The same student is on rows %(rows)s: keep one row "
                                            "per student.", rows=rows))
        for name, group in by_scan.items():
            if len(group) > 1:
                rows = ", ".join(str(entry.row.number) for entry in group)
                for entry in group:
                    entry.problems.append(_("The same scan %(name)s is given on rows %(rows)s: "
                                            "each student has a scan of their own.",
                                            name=name.rsplit("/", 1)[-1], rows=rows))

    def _reject(self, header, entries):
        """Nothing is created: the rejected rows as they came, with the row and the reason."""
        keep = [position for position, title in enumerate(header)
                if sheet_tools.column_key(title) not in (KEY_ROW, KEY_REASON)]
        titles = [header[position] for position in keep]
        row_label, reason_label = _("Row"), _("Reason")
        titles += [f"{row_label} [{KEY_ROW}]", f"{reason_label} [{KEY_REASON}]"]
        rejected = [entry for entry in entries if entry.problems]
        rows = []
        for entry in rejected:
            cells = [entry.row.get(position) for position in keep]
            rows.append(cells + [str(entry.row.number), "; ".join(entry.problems)])
        reason_column = len(titles) - 1
        data = sheet_tools.write_workbook(_("Rejected Rows"), titles, rows,
                                          widths={reason_column: 80})
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", (self.sheet_filename or "").rsplit(".", 1)[0])
        self.write({
            "state": "rejected",
            "rejected_file": base64.b64encode(data),
            "rejected_filename": f"{stem or 'trich_luc'}_bi_tu_choi.xlsx",
            "message": _("%(rejected)s of %(total)s rows are rejected, so nothing was imported. "
                         "Download the rejected rows below: the last column says why. Correct "
                         "those rows in your file, then import it again.",
                         rejected=len(rejected), total=len(entries)),
        })
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo.hocbaso_extract_import_action")
        action["res_id"] = self.id
        return action

    def _create_records(self, entries, archive):
        """The records, through the normal models and with the user's rights; if one cannot
        be created after all (a colleague created it meanwhile...), none is."""
        Record = self.env["hocbaso.record"]
        records = Record.browse()
        with self.env.cr.savepoint():
            for entry in entries:
                try:
                    if entry.register_no:
                        entry.student.write({"register_no": entry.register_no})
                    scan = archive.read(entry.member)  # one scan in memory at a time
                    records |= Record.create(dict(entry.vals,
                                                  paper_scan=base64.b64encode(scan)))
                except (UserError, SheetError) as err:
                    problem = (self._sheet_message(err) if isinstance(err, SheetError)
                               else err.args[0])
                    raise UserError(_("Row %(row)s could not be imported, so nothing was "
                                      "imported: %(problem)s", row=entry.row.number,
                                      problem=problem)) from err
            records._log_note_batch(_("Digitised from the paper record: imported with its "
                                      "scan from %(file)s.", file=self.sheet_filename or "?"))
        return records
