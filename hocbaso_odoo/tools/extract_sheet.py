"""The spreadsheets and the zip of scans of the paper-record import (trích lục).

Plain Python, no Odoo: the wizard turns each :class:`SheetError` code into a sentence in the
user's language. Every file comes from outside, so everything read here is bounded: the bytes
uploaded, what a zip may expand to, its entries, the rows, the columns and the length of a
cell. Formulas are never evaluated and their cached results never trusted: a formula cell is
reported on its row, so what is imported is what the clerk typed from the paper record.
"""

import csv
import io
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field

import openpyxl
import xlsxwriter

from hocbaso.validation import normalize_text

MB = 1024 * 1024
MAX_SHEET_BYTES = 5 * MB  # a class is a few dozen rows: some KB
MAX_XLSX_EXPANDED = 20 * MB  # all parts of a workbook, decompressed
MAX_XLSX_PARTS = 500
MAX_ROWS = 200  # students: a class has at most about 50
MAX_PHYSICAL_ROWS = 20000  # rows read, empty ones included, before giving up
MAX_COLUMNS = 100
MAX_CELL_CHARS = 2000  # the longest text of a record (the homeroom comment)
MAX_SCANS_ZIP_BYTES = 90 * MB  # its base64 must fit in the 128 MB Odoo takes in a request
MAX_SCANS_EXPANDED = 400 * MB  # 40 students at 10 MB
MAX_SCAN_ENTRIES = 500

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003) and other OLE files
# "Họ và tên [HOVATEN]": the key in brackets identifies the column whatever the label's
# language; a header that is a key alone ("HOVATEN") is accepted too
KEY_RE = re.compile(r"\[([^\[\]]{1,40})\]\s*$")
# what a parser must never be given in an Office part (defence in depth: lxml and expat
# refuse entity expansion already, and Excel never writes these)
UNSAFE_XML = (b"<!DOCTYPE", b"<!ENTITY")
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError,
              NotImplementedError, ValueError)


# Column keys: the catalogue's names where it has one (sodinhdanh, sosodangbo...). The key in
# brackets ends each header cell of the template, so the file reads the same whatever the
# language of its labels.
KEY_NO = "STT"
KEY_PID = "SODINHDANH"
KEY_DOC_TYPE = "LOAIGIAYTO"
KEY_DOC_NUMBER = "SOGIAYTO"
KEY_NAME = "HOVATEN"
KEY_REGISTER = "SOSODANGBO"
KEY_SCAN = "TEPBANQUET"
KEY_LEARNING = "CANAM"
KEY_CONDUCT = "RENLUYENCANAM"
KEY_ABSENCES = "SOBUOINGHI"
KEY_YEAR_LEVEL = "XEPLOAI"
KEY_COMMENT = "NXETGVCN"
TEST_SUFFIX = ":KTDK"  # TOAN:KTDK, the periodic test of a primary subject
# added to the rejected rows, and skipped when such a file comes back corrected
KEY_ROW = "DONG"
KEY_REASON = "LYDO"
FIXED_KEYS = {KEY_NO, KEY_PID, KEY_DOC_TYPE, KEY_DOC_NUMBER, KEY_NAME, KEY_REGISTER, KEY_SCAN,
              KEY_LEARNING, KEY_CONDUCT, KEY_ABSENCES, KEY_YEAR_LEVEL, KEY_COMMENT, KEY_ROW,
              KEY_REASON}


@dataclass
class Column:
    """A column of the template: its key, its label (in the user's language), what it holds."""

    key: str
    label: str
    kind: str
    required: bool = False
    subject: object = None
    teacher: object = None
    choices: tuple = ()
    field_name: str = ""  # of the record, for its own values
    level_kind: str = ""  # hocbaso.validation kind of a rating
    max_chars: int = 0

    @property
    def title(self):
        return f"{self.label} [{self.key}]"


@dataclass
class Entry:
    """A row being checked: its problems (in the user's language) or what to create."""

    row: object
    problems: list = field(default_factory=list)
    student: object = None
    member: object = None  # the zip entry of its scan
    register_no: str = ""
    vals: dict = None


class SheetError(Exception):
    """A problem with an uploaded file; ``code`` picks the message, ``params`` fill it."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass
class SheetRow:
    """A row under the header: its number in the file (1-based) and its cells as text."""

    number: int
    cells: list
    problems: list = field(default_factory=list)  # [(code, params)]

    def get(self, index):
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]


def column_letter(index):
    """0 -> A, 26 -> AA: how the clerk finds the column in Excel."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_key(title):
    """The key of a header cell: the text in brackets at its end, else the whole text."""
    text = normalize_text(title)
    match = KEY_RE.search(text)
    return (match.group(1) if match else text).strip().upper()


def person_key(name):
    """A person's name as names are compared: NFC, any case, single spaces."""
    return " ".join(normalize_text(name).casefold().split())


def name_key(name):
    """A file name as rows and zip entries are matched: last path part, NFC, any case."""
    return normalize_text(re.split(r"[/\\]", name or "")[-1]).casefold()


# --- reading -----------------------------------------------------------------------------
def read_table(data, filename=""):
    """(header, rows) of the first sheet of an .xlsx, or of a CSV file.

    ``header`` is the first non-empty row, as text; ``rows`` the non-empty rows under it.
    Raises SheetError for a file that cannot be read as a whole.
    """
    if len(data) > MAX_SHEET_BYTES:
        raise SheetError("too_large", limit=MAX_SHEET_BYTES // MB)
    if data.startswith(ZIP_MAGIC):
        raw_rows = _xlsx_rows(data)
    elif data.startswith(OLE_MAGIC):
        raise SheetError("old_xls")
    elif (filename or "").lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise SheetError("unreadable", name=filename)
    else:
        raw_rows = _csv_rows(data, filename)
    return _table(raw_rows)


def _table(raw_rows):
    header, rows = None, []
    for number, cells in raw_rows:
        texts, problems = [], []
        for position, (value, is_formula) in enumerate(cells):
            if is_formula:
                problems.append(("formula", {"column": column_letter(position)}))
            if len(value) > MAX_CELL_CHARS:
                problems.append(("cell_too_long", {"column": column_letter(position),
                                                   "limit": MAX_CELL_CHARS}))
                value = value[:MAX_CELL_CHARS]
            texts.append(value)
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            continue
        if len(texts) > MAX_COLUMNS:
            raise SheetError("too_many_columns", limit=MAX_COLUMNS)
        if header is None:
            header = texts
            continue
        if len(rows) >= MAX_ROWS:
            raise SheetError("too_many_rows", limit=MAX_ROWS)
        rows.append(SheetRow(number, texts, problems))
    if not rows:
        raise SheetError("empty")
    return header, rows


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # 8.0 -> "8", 7.5 -> "7.5"; a float that is no short decimal stays long and is refused
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return normalize_text(value)


def _check_xlsx_container(data):
    """Refuse, before any parser sees it, a workbook that would expand too far or that
    carries DTDs; return nothing."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except ZIP_ERRORS:
        raise SheetError("unreadable") from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        # another zip (a .docx, a folder of scans...) or an encrypted workbook (OLE)
        raise SheetError("unreadable")
    if len(members) > MAX_XLSX_PARTS or sum(m.file_size for m in members) > MAX_XLSX_EXPANDED:
        raise SheetError("expanded", limit=MAX_XLSX_EXPANDED // MB)
    for member in members:
        if member.flag_bits & 0x1:
            raise SheetError("encrypted")
        if not member.filename.endswith((".xml", ".rels")):
            continue
        try:
            with archive.open(member) as handle:
                part = handle.read(MAX_XLSX_EXPANDED + 1)
        except ZIP_ERRORS:
            raise SheetError("unreadable") from None
        if len(part) > MAX_XLSX_EXPANDED:
            raise SheetError("expanded", limit=MAX_XLSX_EXPANDED // MB)
        # Excel writes UTF-8: a NUL byte means UTF-16, where the checks below would not see
        if b"\x00" in part or any(marker in part for marker in UNSAFE_XML):
            raise SheetError("unsafe_xml")


def _xlsx_rows(data):
    """[(row number, [(text, is_formula)])] of the first worksheet, bounded."""
    _check_xlsx_container(data)
    rows = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about every Excel feature it skips (validation, styles...)
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True,
                                              data_only=False, keep_links=False)
            try:
                if not workbook.worksheets:
                    raise SheetError("no_sheet")
                sheet = workbook.worksheets[0]
                # the <dimension> of the file is not trusted: rows past it are read too
                sheet.reset_dimensions()
                for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1),
                                             start=1):
                    if number > MAX_PHYSICAL_ROWS:
                        raise SheetError("too_many_rows", limit=MAX_ROWS)
                    rows.append((number, [(_cell_text(cell.value), cell.data_type == "f")
                                          for cell in row]))
            finally:
                workbook.close()
    except SheetError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
        raise SheetError("unreadable") from None
    return rows


def _csv_rows(data, filename):
    if b"\x00" in data:
        raise SheetError("not_spreadsheet", name=filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # "CSV" saved by Excel on a Vietnamese Windows: the ANSI code page
            text = data.decode("cp1258")
        except UnicodeDecodeError:
            raise SheetError("not_spreadsheet", name=filename) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    rows = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        for number, cells in enumerate(reader, start=1):
            if number > MAX_PHYSICAL_ROWS:
                raise SheetError("too_many_rows", limit=MAX_ROWS)
            rows.append((number, [(normalize_text(cell), False)
                                  for cell in cells[:MAX_COLUMNS + 1]]))
    except csv.Error:
        raise SheetError("csv_broken") from None
    return rows


# --- writing -----------------------------------------------------------------------------
def write_workbook(sheet_name, header, rows, choices=None, widths=None):
    """An .xlsx of one sheet: ``header`` in bold, then ``rows``; every cell is text.

    Text cells keep what is typed as typed (the leading zeros of a personal ID, "12/2021" as a
    register number, not a date), and nothing is written as a formula, so a value read from
    an upload and written back into the rejected rows cannot run in the clerk's Excel.
    ``choices``: {column index: allowed codes}, offered as a drop-down list.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False})
    text = workbook.add_format({"num_format": "@"})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                "bg_color": "#DDEBF7", "border": 1, "num_format": "@"})
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\']", "_", sheet_name)[:31] or "1")
    for column, title in enumerate(header):
        sheet.set_column(column, column, (widths or {}).get(column, 16), text)
        sheet.write_string(0, column, title, bold)
    for line, cells in enumerate(rows, start=1):
        for column, value in enumerate(cells):
            if value not in (None, ""):
                sheet.write_string(line, column, str(value), text)
    for column, allowed in (choices or {}).items():
        sheet.data_validation(1, column, MAX_ROWS, column, {
            "validate": "list", "source": list(allowed), "ignore_blank": True})
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


# --- the scans ---------------------------------------------------------------------------
class ScanArchive:
    """The uploaded .zip of scans: entries found by file name, read one at a time, each
    bounded (the caller keeps no more than one scan in memory)."""

    def __init__(self, data, max_scan_bytes):
        if len(data) > MAX_SCANS_ZIP_BYTES:
            raise SheetError("scans_too_large", limit=MAX_SCANS_ZIP_BYTES // MB)
        if not data.startswith(ZIP_MAGIC):
            raise SheetError("scans_not_zip")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            members = [member for member in self._zip.infolist() if not member.is_dir()
                       and not member.filename.startswith("__MACOSX/")]
        except ZIP_ERRORS:
            raise SheetError("scans_not_zip") from None
        if len(members) > MAX_SCAN_ENTRIES:
            raise SheetError("scans_too_many", limit=MAX_SCAN_ENTRIES)
        # zipfile stops every entry at its declared size (and fails its CRC past it), so
        # the declared sizes bound what reading the whole zip can cost
        if sum(member.file_size for member in members) > MAX_SCANS_EXPANDED:
            raise SheetError("scans_expanded", limit=MAX_SCANS_EXPANDED // MB)
        self._limit = max_scan_bytes
        self._by_name = {}
        for member in members:
            self._by_name.setdefault(name_key(member.filename), []).append(member)

    def find(self, name):
        """The entry named ``name`` (any folder, any case)."""
        found = self._by_name.get(name_key(name), [])
        if not found:
            raise SheetError("scan_not_found", name=name)
        if len(found) > 1:
            raise SheetError("scan_ambiguous", name=name)
        return found[0]

    def read(self, member):  # pylint: disable=method-required-super
        # (a zip reader of our own, not an Odoo model: there is no super().read)
        name = member.filename.rsplit("/", 1)[-1]
        if member.file_size > self._limit:
            raise SheetError("scan_too_large", name=name, limit=self._limit // MB)
        if member.flag_bits & 0x1:
            raise SheetError("scan_unreadable", name=name)
        try:
            with self._zip.open(member) as handle:
                content = handle.read(self._limit + 1)
        except ZIP_ERRORS:
            raise SheetError("scan_unreadable", name=name) from None
        if len(content) > self._limit:
            raise SheetError("scan_too_large", name=name, limit=self._limit // MB)
        return content
