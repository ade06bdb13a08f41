"""Many printed records in one wkhtmltopdf call, split back into one PDF per record.

wkhtmltopdf starts in about half a second and Odoo then waits `report.print_delay` (1 s by
default) for JavaScript the học bạ page does not have: printing records one by one costs more
than a second each, a class in one call about a twentieth of that. Odoo's own split
(`_render_qweb_pdf_prepare_streams`) follows the PDF outlines, which Debian's wkhtmltopdf
(unpatched Qt) does not write; it does write links, so each record starts with an invisible
link to a marker URL naming the record, and the split looks for those links.

A batch is started and its result taken later (`_start_pdfs`, `BatchPrint.result`): wkhtmltopdf
is a child process, so an export prints the next class on the second core while this process
packages the current one. Odoo's `_run_wkhtmltopdf` waits for the child; the batch starts it
itself, with the same arguments, and needs none of its session cookie: the page is
self-contained (see `IrActionsReport._render_qweb_pdf` in hocbaso_record_package.py).
"""

import io
import logging
import os
import re
import shutil
import subprocess
import tempfile

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools.pdf import OdooPdfFileWriter, PdfFileReader

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

from .hocbaso_record_package import RECORD_XML_SUBTYPE, record_documents

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


def split_pdf(pdf_bytes, record_ids, documents=None):
    """{record id: PDF bytes}, the pages of each record from its marker to the next one; the
    marker links are taken out. ``documents``: {record id: [(file name, bytes)]} embedded in
    that record's PDF as it is written (reading and writing each PDF again to embed them would
    cost as much as the split). ValueError when the markers do not match the records."""
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
        writer = OdooPdfFileWriter()
        for index in range(first, last):
            writer.addPage(reader.getPage(index))
        for name, data in (documents or {}).get(record_id, ()):
            writer.addAttachment(name, data, subtype=RECORD_XML_SUBTYPE)
        stream = io.BytesIO()
        writer.write(stream)
        result[record_id] = stream.getvalue()
    return result


class BatchPrint:
    """Records being printed: the kept PDFs, and a wkhtmltopdf child printing the others in
    one call, running while the caller works on. `result()` waits for it: {record id: PDF}."""

    def __init__(self, records, kept=None, printed=None):
        self.records = records  # all of them, kept PDFs included
        self.kept = kept or {}
        self.printed = printed if printed is not None else records.browse()
        self.process = None
        self.folder = None

    def start(self, html, args):
        self.folder = tempfile.mkdtemp(prefix="hocbaso-print-")
        source = os.path.join(self.folder, "batch.html")
        with open(source, "w", encoding="utf-8") as handle:
            handle.write(html)
        # stderr to a file: a pipe nobody reads while the child runs could fill and stall it
        with open(os.path.join(self.folder, "stderr.txt"), "wb") as errors:
            self.process = subprocess.Popen(  # noqa: S603 - Odoo's wkhtmltopdf, our arguments
                [_get_wkhtmltopdf_bin(), *args, source, os.path.join(self.folder, "out.pdf")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
        return self

    def _output(self):
        """The batch PDF's bytes, once wkhtmltopdf is done; UserError as Odoo's print says."""
        returncode = self.process.wait()
        with open(os.path.join(self.folder, "stderr.txt"), encoding="utf-8",
                  errors="replace") as handle:
            errors = handle.read()[-1000:]
        if returncode not in (0, 1):  # 1: wkhtmltopdf's warnings (as Odoo reads it)
            raise UserError(self.printed.env._(
                "The records could not be printed (wkhtmltopdf error %(code)s): %(message)s",
                code=returncode, message=errors))
        with open(os.path.join(self.folder, "out.pdf"), "rb") as handle:
            return handle.read()

    def result(self):
        """{record id: PDF bytes} of every record (see HocbasoRecord._render_pdfs)."""
        try:
            printed = {}
            if self.process is not None:
                pdf = self._output()
                documents = {record.id: record_documents(record) for record in self.printed}
                try:
                    printed = split_pdf(pdf, self.printed.ids, documents)
                except ValueError as err:
                    _logger.warning("Batch PDF not split, printing one by one: %s", err)
            for record in self.printed:
                if record.id not in printed:
                    printed[record.id] = record.with_context(
                        **{NO_DELAY_KEY: True})._render_pdf()
        finally:
            self.cancel()
        return {record.id: self.kept.get(record.id) or printed[record.id]
                for record in self.records}

    def cancel(self):
        """Stop the child if it still runs and remove its files (the result is not wanted, or
        has been read)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    def _render_pdfs(self):
        """{record id: PDF bytes} for these records, printed in ONE wkhtmltopdf call, with the
        reader's rights (as the single print); a record's kept PDF (_hocbaso_kept_pdf) is
        served as it is. Falls back to one call per record when the
        batch cannot be split (the output is the same, only slower)."""
        return self._start_pdfs().result()

    def _start_pdfs(self):
        """The print of _render_pdfs started, not waited for: a BatchPrint whose `result()`
        is _render_pdfs' answer (cancel() it when the answer is no longer wanted)."""
        if not self:
            return BatchPrint(self)
        self.check_access("read")
        kept = {}
        for record in self:
            pdf = record._hocbaso_kept_pdf()
            if pdf:
                kept[record.id] = pdf
        printed = self.filtered(lambda record: record.id not in kept)
        return printed._start_print(BatchPrint(self, kept, printed))

    def _print_pdfs(self):
        """{record id: PDF bytes} of a new print of these records (see _render_pdfs)."""
        return self._start_print(BatchPrint(self, printed=self)).result()

    def _start_print(self, batch):
        """``batch`` with wkhtmltopdf started on these records (a single record is printed
        alone, when the result is asked)."""
        if len(self) < 2:
            return batch
        report = self.env.ref("hocbaso_odoo.report_hocbaso_record")
        Report = self.env["ir.actions.report"].with_context(**{NO_DELAY_KEY: True})
        args = Report._build_wkhtmltopdf_args(report.get_paperformat(), False)
        html = self.env["ir.qweb"]._render(BATCH_TEMPLATE, {"docs": self, "split_url": SPLIT_URL})
        return batch.start(str(html), args)


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
