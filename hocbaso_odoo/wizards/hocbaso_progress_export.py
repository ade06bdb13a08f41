"""The progress figures as an Excel workbook, as district reports ask for them: records per
workflow step and the shares signed, issued (and received by the CSDL) per class, grade and
school, and who has not signed which subject; headers in the reader's language, dates
dd/mm/yyyy in Vietnam's time."""

import base64
import io

import xlsxwriter

from odoo import _, api, fields, models

from hocbaso import timeutil


class HocbasoProgressExport(models.TransientModel):
    _name = "hocbaso.progress.export"
    _description = "Export Progress to Excel"

    company_id = fields.Many2one("res.company", string="School", required=True,
                                 default=lambda self: self.env.company)
    school_year_id = fields.Many2one("hocbaso.school.year",
                                     help="Only this school year; empty for all.")
    export_file = fields.Binary(string="Excel File", readonly=True, attachment=True)
    export_filename = fields.Char(readonly=True)

    def _domain(self):
        return [("school_year_id", "=", self.school_year_id.id)] if self.school_year_id else []

    @api.model
    def _label(self, model, name):
        return self.env[model]._fields[name]._description_string(self.env)

    def _sheet_figures(self, book, formats, title, groupby):
        """One sheet: a row per group of ``groupby`` with the step counts and rates."""
        Progress = self.env["hocbaso.progress"]
        sheet = book.add_worksheet(title)
        measures = ["record_count", *Progress._step_count_fields()]
        rates = Progress._rate_fields()
        headers = [self._label("hocbaso.progress", name)
                   for name in [*groupby, *measures, *rates]]
        sheet.write_row(0, 0, [title], formats["title"])
        sheet.write_row(1, 0, [self._exported_on()])
        sheet.write_row(3, 0, headers, formats["header"])
        row_index = 4
        for row in Progress._progress_figures(self._domain(), groupby):
            names = [row[name].display_name or "" for name in groupby]
            sheet.write_row(row_index, 0, names)
            sheet.write_row(row_index, len(groupby), [row[name] for name in measures])
            sheet.write_row(row_index, len(groupby) + len(measures),
                            [row[name] for name in rates], formats["pct"])
            row_index += 1
        sheet.set_column(0, len(groupby) - 1, 28)
        sheet.set_column(len(groupby), len(headers), 14)
        sheet.freeze_panes(4, len(groupby))

    def _sheet_pending(self, book, formats):
        Pending = self.env["hocbaso.progress.pending"]
        names = ["company_id", "class_id", "step", "subject_id", "user_id", "record_count"]
        title = _("Who has not signed")
        sheet = book.add_worksheet(title)
        sheet.write_row(0, 0, [title], formats["title"])
        sheet.write_row(1, 0, [self._exported_on()])
        sheet.write_row(3, 0, [self._label(Pending._name, name) for name in names],
                        formats["header"])
        steps = dict(Pending._fields["step"]._description_selection(self.env))
        for index, row in enumerate(Pending.search(self._domain()), start=4):
            sheet.write_row(index, 0, [
                row.company_id.display_name, row.class_id.display_name, steps[row.step],
                row.subject_id.display_name or "", row.user_id.display_name or "",
                row.record_count])
        sheet.set_column(0, len(names), 24)

    @api.model
    def _now(self):
        """Now on Vietnam's clock (the figures are dated as the school reads them)."""
        return timeutil.to_vn(fields.Datetime.now())

    def _exported_on(self):
        return _("Exported on %(date)s", date=timeutil.vn_datetime(self._now(), seconds=False))

    def action_export(self):
        self.ensure_one()
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True})
        formats = {
            "title": book.add_format({"bold": True, "font_size": 14}),
            "header": book.add_format({"bold": True, "bg_color": "#D9E1F2", "text_wrap": True,
                                       "border": 1}),
            "pct": book.add_format({"num_format": "0.0"}),
        }
        self._sheet_figures(book, formats, _("By class"),
                            ["company_id", "school_year_id", "grade_id", "class_id"])
        self._sheet_figures(book, formats, _("By grade"),
                            ["company_id", "school_year_id", "grade_id"])
        self._sheet_figures(book, formats, _("By school"), ["company_id", "school_year_id"])
        self._sheet_pending(book, formats)
        book.close()
        today = self._now()
        self.write({
            "export_file": base64.b64encode(buffer.getvalue()),
            "export_filename": _("progress-%(date)s.xlsx", date=today.strftime("%d-%m-%Y")),
        })
        return {
            "type": "ir.actions.act_url", "target": "self",
            "url": f"/web/content/{self._name}/{self.id}/export_file/"
                   f"{self.export_filename}?download=true",
        }
