"""Many printed records in one wkhtmltopdf call, split back into one PDF per record.

wkhtmltopdf starts in about half a second and Odoo then waits `report.print_delay` (1 s by
default) for JavaScript the học bạ page does not have: printing records one by one costs more
than a second each, a class in one call about a twentieth of that. Odoo's own split
(`_render_qweb_pdf_prepare_streams`) follows the PDF outlines, which Debian's wkhtmltopdf
(unpatched Qt) does not write; it does write links, so each record starts with an invisible
link to a marker URL naming the record, and the split looks for those links.
"""

import io
import logging
import re

from odoo import api, models
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

from .hocbaso_record_package import embed_record_xml

_logger = logging.getLogger(__name__)

BATCH_TEMPLATE = "hocbaso_odoo.report_hocbaso_record_batch"
SPLIT_URL = "https://split.hocbaso.invalid/record/"
SPLIT_RE = re.compile(re.escape(SPLIT_URL) + r"(\d+)$")
NO_DELAY_KEY = "hocbaso_no_print_delay"


def _marker_of(annotation):
    """The record id a marker link annotation names, or None."""
    try:
        action = annotation.get_object().get("/A")
        uri = action.get_object().get("/URI") if action is not None else None
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    found = SPLIT_RE.match(str(uri or ""))
    return int(found.group(1)) if found else None


def split_pdf(pdf_bytes, record_ids):
    """{record id: PDF bytes}, the pages of each record from its marker to the next one; the
    marker links are taken out. ValueError when the markers do not match the records."""
    reader = PdfFileReader(io.BytesIO(pdf_bytes))
    starts = []  # (page index, record id)
    for index in range(reader.getNumPages()):
        page = reader.getPage(index)
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        annotations = annotations.get_object()
        kept = []
        for annotation in annotations:
            record_id = _marker_of(annotation)
            if record_id is None:
                kept.append(annotation)
            else:
                starts.append((index, record_id))
        if len(kept) != len(annotations):
            annotations.clear()
            annotations.extend(kept)
    if [rid for _page, rid in starts] != list(record_ids) or not starts or starts[0][0] != 0:
        raise ValueError(f"PDF split markers {starts} do not match the records {record_ids}")
    result = {}
    for position, (first, record_id) in enumerate(starts):
        last = starts[position + 1][0] if position + 1 < len(starts) else reader.getNumPages()
        if last <= first:
            raise ValueError(f"record {record_id} has no page of its own")
        writer = PdfFileWriter()
        for index in range(first, last):
            writer.addPage(reader.getPage(index))
        stream = io.BytesIO()
        writer.write(stream)
        result[record_id] = stream.getvalue()
    return result


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    def _render_pdfs(self):
        """{record id: PDF bytes} for these records, printed in ONE wkhtmltopdf call, with the
        reader's rights (as the single print); a record's kept PDF (_hocbaso_kept_pdf) is
        served as it is. Falls back to one call per record when the
        batch cannot be split (the output is the same, only slower)."""
        if not self:
            return {}
        self.check_access("read")
        kept = {}
        for record in self:
            pdf = record._hocbaso_kept_pdf()
            if pdf:
                kept[record.id] = pdf
        printed = self.filtered(lambda record: record.id not in kept)._print_pdfs()
        return {record.id: kept.get(record.id) or printed[record.id] for record in self}

    def _print_pdfs(self):
        """{record id: PDF bytes} of a new print of these records (see _render_pdfs)."""
        if not self:
            return {}
        Report = self.env["ir.actions.report"].with_context(**{NO_DELAY_KEY: True})
        report = self.env.ref("hocbaso_odoo.report_hocbaso_record")
        if len(self) > 1:
            body = self.env["ir.qweb"]._render(BATCH_TEMPLATE, {
                "docs": self, "split_url": SPLIT_URL})
            pdf = Report._run_wkhtmltopdf([str(body)], report_ref=report)
            try:
                pages = split_pdf(pdf, self.ids)
            except ValueError as err:
                _logger.warning("Batch PDF not split, printing one by one: %s", err)
            else:
                # each record's PDF carries its signed XML, as the single print's does
                return {record.id: embed_record_xml(pages[record.id], record) for record in self}
        return {record.id: record.with_context(**{NO_DELAY_KEY: True})._render_pdf()
                for record in self}


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.model
    def _build_wkhtmltopdf_args(self, paperformat_id, landscape, specific_paperformat_args=None,
                                set_viewport_size=False):
        """No `report.print_delay` wait for the học bạ batches: the page has no JavaScript."""
        args = super()._build_wkhtmltopdf_args(
            paperformat_id, landscape, specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size)
        if self.env.context.get(NO_DELAY_KEY) and "--javascript-delay" in args:
            args[args.index("--javascript-delay") + 1] = "0"
        return args
