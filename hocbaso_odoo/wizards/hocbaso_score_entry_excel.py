"""The score entry in Excel: a template per class, subject and term, and its import.

The file comes from outside: its size, its parts, its sheet, its header (school year, class,
subject, term) and every cell are checked. Each row is applied on its own, inside a savepoint,
through the same write as the grid: a row is applied whole or not at all, and the rows refused
come back in a file of their own with the reason of each (nothing half written)."""

import base64
import io
import re
import warnings

import openpyxl
import xlsxwriter
from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from hocbaso import validation
from hocbaso.errors import HocbasoError

from ..tools import extract_sheet as sheet_tools
from ..tools import download_action, lib_message
from ..tools.extract_messages import sheet_message

SHEET = "NHAPDIEM"  # the template's sheet, whatever the language of its labels
MAX_BYTES = 2 * sheet_tools.MB  # a class's scores take some KB
MAX_HEADER_ROWS = 20
KEY_YEAR, KEY_CLASS, KEY_SUBJECT, KEY_TERM = "NAMHOC", "LOP", "MONHOC", "HOCKY"
KEY_NO, KEY_CODE, KEY_NAME, KEY_REASON = "STT", "MAHOCSINH", "HOVATEN", "LYDO"
TERM_KEYS = {"s1": "HK1", "s2": "HK2", "year": "CN"}
NUMBER = re.compile(r"^\d{1,3}(\.\d{1,2})?$")  # 8, 7.5, 8.25: written as a number


class RowRejected(Exception):
    """A row of the file that is not applied, with the reason (in the user's language)."""


class HocbasoScoreEntry(models.TransientModel):
    _inherit = "hocbaso.score.entry"

    # in the wizard's row, not the filestore: they go when the wizard does
    import_file = fields.Binary(string="Excel File", attachment=False)
    import_filename = fields.Char()
    template_file = fields.Binary(attachment=False, readonly=True)
    template_filename = fields.Char(readonly=True)
    rejected_file = fields.Binary(string="Rejected Rows", attachment=False, readonly=True)
    rejected_filename = fields.Char(readonly=True)
    import_message = fields.Text(readonly=True)

    # --- the columns -------------------------------------------------------------------------
    def _input_columns(self):
        """[(key, label, line field)] of what the teacher enters for the term."""
        if self.term == "year":
            columns = [("MUCDAT", _("Rating (T, H, C)"), "level")]
            if self.assessment == "level_test":
                columns.append(("KTDK", _("Periodic test (0–10)"), "test_score"))
            return columns
        sem = self.term
        if self.assessment != "score":
            return [("KETQUA", _("Result (Đ, CĐ)"), self._term_field())]
        columns = [(f"TX{number}", f"TX{number}", f"{sem}_tx{number}")
                   for number in range(1, self.tx_count + 1)]
        return columns + [("GK", _("Mid-term"), f"{sem}_midterm"),
                          ("CK", _("Final"), f"{sem}_final")]

    def _header_rows(self):
        """[(label, key, value shown, value in the machine row)] of the file's header."""
        term = dict(self._fields["term"]._description_selection(self.env))[self.term]
        return [
            (_("School"), "", self.class_id.company_id.name, ""),
            (_("School year"), KEY_YEAR, self.school_year_id.name, self.school_year_id.name),
            (_("Class"), KEY_CLASS, self.class_id.name, self.class_id.name),
            (_("Subject"), KEY_SUBJECT, self.subject_id.name, self.subject_id.code),
            (_("Term"), KEY_TERM, term, TERM_KEYS[self.term]),
        ]

    @staticmethod
    def _student_key(student):
        return student.student_code or student.personal_id or ""

    # --- writing a workbook ------------------------------------------------------------------
    def _workbook(self, rows, reasons=None):
        """The template (or the rejected rows, with ``reasons``): the header rows that say
        what the file is for, in the reader's words, then one row per student; code and name
        locked, the scores open. The keys the import reads (school year, class, subject code,
        term, the columns) sit in hidden rows, so nobody reads a code. Scores are numbers,
        codes and ratings text, nothing is a formula."""
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        locked = book.add_format({"num_format": "@", "locked": True})
        locked_number = book.add_format({"locked": True, "align": "left"})
        bold = book.add_format({"bold": True, "locked": True, "bg_color": "#DDEBF7",
                                "border": 1, "text_wrap": True, "valign": "top"})
        open_text = book.add_format({"num_format": "@", "locked": False, "border": 1,
                                     "bg_color": "#FFF2CC"})
        open_number = book.add_format({"locked": False, "border": 1, "bg_color": "#FFF2CC"})
        sheet = book.add_worksheet(SHEET)
        header = self._header_rows()
        for number, (label, _key, value, _machine) in enumerate(header):
            sheet.write_string(number, 0, label, bold)
            sheet.write_string(number, 1, value or "", locked)
        machine = [(key, value) for _label, key, _value, value in header if key]
        for number, (key, value) in enumerate(machine, start=len(header)):
            sheet.write_string(number, 0, key, locked)
            sheet.write_string(number, 1, value or "", locked)
            sheet.set_row(number, None, None, {"hidden": True})
        head = len(header) + len(machine) + 1
        inputs = self._input_columns()
        titles = [(_("No."), KEY_NO), (_("Student code"), KEY_CODE), (_("Full name"), KEY_NAME)]
        titles += [(label, key) for key, label, _field in inputs]
        if reasons is not None:
            titles.append((_("Reason"), KEY_REASON))
        for column, (label, key) in enumerate(titles):
            sheet.write_string(head, column, label, bold)
            sheet.write_string(head + 1, column, key, locked)
        sheet.set_row(head + 1, None, None, {"hidden": True})
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 1, 16)
        sheet.set_column(2, 2, 30)
        sheet.set_column(3, 2 + len(inputs), 12)
        if reasons is not None:
            sheet.set_column(3 + len(inputs), 3 + len(inputs), 60)
        numeric = [name not in ("level",) and key != "KETQUA" for key, _l, name in inputs]
        for offset, cells in enumerate(rows, start=1):
            line = head + 1 + offset
            for column, value in enumerate(cells):
                text = str(value or "")
                is_input = 3 <= column < 3 + len(inputs)
                number_cell = column == 0 or (is_input and numeric[column - 3])
                if number_cell and NUMBER.match(text):
                    sheet.write_number(line, column, float(text),
                                       open_number if is_input else locked_number)
                elif number_cell and not text:  # typed as a number, not as text
                    sheet.write_blank(line, column, None, open_number if is_input else locked)
                else:
                    sheet.write_string(line, column, text, open_text if is_input else locked)
            if reasons is not None:
                sheet.write_string(line, 3 + len(inputs), reasons[offset - 1], locked)
        sheet.freeze_panes(head + 2, 3)
        sheet.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
        book.close()
        return buffer.getvalue()

    def _file_slug(self):
        text = f"{self.class_id.name}_{self.subject_id.code}_{TERM_KEYS[self.term]}"
        return re.sub(r"[^A-Za-z0-9-]+", "_", text)

    def _in_reader_lang(self):
        """The file in one language: the user's, when the caller's context names none."""
        return self.with_context(lang=self.env.lang or self.env.user.lang)

    def action_download_template(self):
        self.ensure_one()
        self = self._in_reader_lang()  # noqa: PLW0642
        self._check_ready()
        rows = []
        for number, line in enumerate(self._lines(), start=1):
            student = line.student_id
            rows.append([str(number), self._student_key(student), student.name]
                        + [line[name] or "" for _key, _label, name in self._input_columns()])
        self.write({"template_file": base64.b64encode(self._workbook(rows)),
                    "template_filename": _("scores_%(name)s.xlsx", name=self._file_slug())})
        return download_action(self, "template_file", "template_filename")

    def _check_ready(self):
        self._check_entry_access()
        if not (self.class_id and self.subject_id and self.term):
            raise UserError(_("Choose the class, the subject and the term first."))

    # --- reading the upload --------------------------------------------------------------------
    def _sheet_rows(self, data):
        """[(row number, [cell texts], problems)] of the template's sheet, bounded."""
        if len(data) > MAX_BYTES:
            raise UserError(_("The file is larger than %(limit)s MB; the scores of a class take "
                              "far less. Check that you chose the right file.",
                              limit=MAX_BYTES // sheet_tools.MB))
        if not data.startswith(sheet_tools.ZIP_MAGIC):
            raise UserError(_("%(name)s is not an Excel workbook (.xlsx). Download the template, "
                              "fill it in and upload it as .xlsx.",
                              name=self.import_filename or "?"))
        try:
            sheet_tools._check_xlsx_container(data)
        except sheet_tools.SheetError as err:
            raise UserError(sheet_message(self.env, err, self.import_filename)) from None
        rows = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                                              keep_links=False)
                try:
                    if SHEET not in book.sheetnames:
                        raise UserError(_(
                            "The workbook has no sheet %(sheet)s: it is not the score entry "
                            "template. Download the template and fill it in.", sheet=SHEET))
                    sheet = book[SHEET]
                    sheet.reset_dimensions()
                    for number, row in enumerate(sheet.iter_rows(max_col=30), start=1):
                        if number > sheet_tools.MAX_ROWS + MAX_HEADER_ROWS:
                            break
                        cells = [sheet_tools._cell_text(cell.value)[:50] for cell in row]
                        formulas = [cell.data_type == "f" for cell in row]
                        rows.append((number, cells, any(formulas)))
                finally:
                    book.close()
        except UserError:
            raise
        except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
            raise UserError(sheet_message(self.env, sheet_tools.SheetError("unreadable"),
                                          self.import_filename)) from None
        return rows

    def _check_file_header(self, rows):
        """The header rows must name this school year, class, subject and term; returns the
        index of the column header row and {key: column}."""
        found = {}
        for index, (_number, cells, _formula) in enumerate(rows[:MAX_HEADER_ROWS]):
            key = sheet_tools.column_key(cells[0]) if cells and cells[0] else ""
            if key == KEY_NO:
                columns = {sheet_tools.column_key(text): position
                           for position, text in enumerate(cells) if text}
                if KEY_CODE not in columns and index + 1 < len(rows):
                    continue  # the titles in the reader's words; the keys are below
                self._check_header_values(found)
                missing = [key for key in [KEY_CODE] + [k for k, _l, _f in self._input_columns()]
                           if key not in columns]
                if missing:
                    raise UserError(_("These columns are missing: %(columns)s. Download the "
                                      "template and keep its header rows.",
                                      columns=", ".join(missing)))
                return index, columns
            if key in (KEY_YEAR, KEY_CLASS, KEY_SUBJECT, KEY_TERM):
                found[key] = cells[1] if len(cells) > 1 else ""
        raise UserError(_("The header rows of the template are missing: download the template "
                          "and keep its first rows."))

    def _check_header_values(self, found):
        expected = {
            KEY_YEAR: (self.school_year_id.name, _("school year")),
            KEY_CLASS: (self.class_id.name, _("class")),
            KEY_SUBJECT: (self.subject_id.code, _("subject")),
            KEY_TERM: (TERM_KEYS[self.term], _("term")),
        }
        for key, (value, label) in expected.items():
            given = found.get(key, "")
            if key in (KEY_SUBJECT, KEY_TERM):
                given = sheet_tools.column_key(given)
            if validation.normalize_code(given) != validation.normalize_code(value):
                raise UserError(_(
                    "This file is for another %(what)s (%(given)s), not %(expected)s: download "
                    "the template of %(klass)s, %(subject)s and this term.",
                    what=label, given=found.get(key) or "?", expected=value,
                    klass=self.class_id.name, subject=self.subject_id.name))

    # --- the import --------------------------------------------------------------------------
    def action_import(self):
        self.ensure_one()
        self = self._in_reader_lang()  # noqa: PLW0642
        self._check_ready()
        data = self.with_context(bin_size=False).import_file
        if not data:
            raise UserError(_("Choose the Excel file to import."))
        if len(data) > MAX_BYTES * 4 // 3 + 4:  # refused before decoding
            raise UserError(_("The file is larger than %(limit)s MB; the scores of a class take "
                              "far less. Check that you chose the right file.",
                              limit=MAX_BYTES // sheet_tools.MB))
        rows = self._sheet_rows(base64.b64decode(data))
        head, columns = self._check_file_header(rows)
        by_code = {}
        for line in self._lines():
            by_code.setdefault(validation.normalize_code(self._student_key(line.student_id)),
                               line)
        inputs = self._input_columns()
        imported, rejected, reasons, seen = 0, [], [], set()
        for _number, cells, formula in rows[head + 1:]:
            if not any(cells):
                continue

            def cell(key, cells=cells):
                position = columns.get(key)
                return cells[position] if position is not None and position < len(cells) else ""

            try:
                if formula:
                    raise RowRejected(_("The row holds a formula: type the scores themselves."))
                code = validation.normalize_code(cell(KEY_CODE))
                line = by_code.get(code)
                if not line:
                    raise RowRejected(_("Student code %(code)s is not a student of %(klass)s.",
                                        code=cell(KEY_CODE) or "?", klass=self.class_id.name))
                if code in seen:
                    raise RowRejected(_("Student code %(code)s appears twice in the file.",
                                        code=cell(KEY_CODE)))
                seen.add(code)
                vals = self._row_vals(line, inputs, cell)
                if vals:
                    self._apply_row(line, vals)
                    imported += 1
            except RowRejected as err:
                rejected.append([cell(KEY_NO), cell(KEY_CODE), cell(KEY_NAME)]
                                + [cell(key) for key, _label, _field in inputs])
                reasons.append(str(err))
        message = self._import_summary(imported, len(rejected))
        vals = {"import_message": message, "import_file": False, "rejected_file": False,
                "rejected_filename": False}
        if rejected:
            vals.update(rejected_file=base64.b64encode(self._workbook(rejected, reasons)),
                        rejected_filename=_("rejected_%(name)s.xlsx", name=self._file_slug()))
        self.write(vals)
        return self._notify(message, "warning" if rejected else "success")

    def _import_summary(self, imported, rejected):
        """"1 student imported, 2 rows rejected.": one and many said apart."""
        students = _("1 student imported") if imported == 1 else _(
            "%(count)s students imported", count=imported)
        rows = _("1 row rejected") if rejected == 1 else _(
            "%(count)s rows rejected", count=rejected)
        return _("%(students)s, %(rows)s.", students=students, rows=rows)

    def _row_vals(self, line, inputs, cell):
        """The line's new values from the row, each checked; an empty cell changes nothing."""
        vals = {}
        for key, label, name in inputs:
            text = validation.normalize_text(cell(key))
            if not text:
                continue
            try:
                if name == "level":
                    value = validation.check_level(validation.PRIMARY_SUBJECT, text)
                elif name == "test_score":
                    value = validation.check_primary_test_score(text)
                elif key == "KETQUA":
                    value = validation.check_secondary_subject_value(text, "comment")
                else:
                    value = validation.format_score(validation.parse_score(text))
            except HocbasoError as err:
                raise RowRejected(_("%(column)s: %(problem)s", column=label,
                                    problem=lib_message(self.env, err))) from None
            if value != (line[name] or ""):
                vals[name] = value
        return vals

    def _apply_row(self, line, vals):
        """Write one student's row whole, or nothing of it."""
        try:
            # flushed when it closes, and rolled back with the cache cleared on any error
            with self.env.cr.savepoint():
                line.write(vals)
        except (UserError, ValidationError, AccessError) as err:
            raise RowRejected(str(err.args[0] if err.args else err)) from None
