"""The problems of the files of the paper-record import (tools/extract_sheet.py, plain
Python) in the user's language: one literal per message, so that each is translated whole."""


def sheet_message(env, err, filename=""):
    """An extract_sheet.SheetError as a sentence in the language of ``env``; ``filename``
    names the spreadsheet in the messages about it."""
    code, params = err.code, dict(err.params)
    params.setdefault("name", filename or "?")
    if code == "too_large":
        return env._("The spreadsheet is larger than %(limit)s MB; the results of a class take "
                     "far less. Check that you chose the right file.", **params)
    if code == "old_xls":
        return env._("%(name)s is in the old Excel format (.xls) or protected by a password. "
                     "Save it as an Excel Workbook (.xlsx) without a password, or as CSV UTF-8, "
                     "and upload it again.", **params)
    if code == "unreadable":
        return env._("%(name)s cannot be read as an Excel workbook (.xlsx): it is damaged or "
                     "another kind of file. Save it again from Excel as .xlsx, or start from "
                     "the template.", **params)
    if code == "not_spreadsheet":
        return env._("%(name)s is not a spreadsheet. Upload the template filled in (.xlsx) or "
                     "a CSV file.", **params)
    if code == "expanded":
        return env._("%(name)s expands to more than %(limit)s MB once unpacked, far more than "
                     "the results of a class. Start again from the template.", **params)
    if code == "encrypted":
        return env._("%(name)s is protected by a password. Remove the password and upload it "
                     "again.", **params)
    if code == "unsafe_xml":
        return env._("%(name)s contains XML declarations (DTD or entities), which are refused "
                     "for security reasons. Save it again from Excel as .xlsx, or start from "
                     "the template.", **params)
    if code == "no_sheet":
        return env._("%(name)s has no worksheet.", **params)
    if code == "too_many_rows":
        return env._("The spreadsheet has more than %(limit)s rows of students. Import one class "
                     "at a time, and delete the empty formatted rows under the students.",
                     **params)
    if code == "too_many_columns":
        return env._("The spreadsheet has more than %(limit)s columns. Start again from the "
                     "template of the class.", **params)
    if code == "empty":
        return env._("The spreadsheet has no students under its header row.")
    if code == "csv_broken":
        return env._("The CSV file cannot be read: a quotation mark is not closed or a cell is "
                     "far too long. Save it again as CSV UTF-8.")
    if code == "formula":
        return env._("Column %(column)s holds a formula, and formulas are not computed on "
                     "import. Type the value itself, as on the paper record.", **params)
    if code == "cell_too_long":
        return env._("Column %(column)s holds more than %(limit)s characters.", **params)
    if code == "scans_too_large":
        return env._("The zip of scans is larger than %(limit)s MB. Import the class in several "
                     "files, or scan at a lower resolution.", **params)
    if code == "scans_not_zip":
        return env._("Upload the scans as one .zip file holding the scan of each student's "
                     "paper record.")
    if code == "scans_too_many":
        return env._("The zip of scans holds more than %(limit)s files.", **params)
    if code == "scans_expanded":
        return env._("The zip of scans expands to more than %(limit)s MB once unpacked. Import "
                     "the class in several files, or scan at a lower resolution.", **params)
    if code == "scan_not_found":
        return env._("The zip of scans has no file named %(name)s.", **params)
    if code == "scan_ambiguous":
        return env._("The zip of scans has several files named %(name)s: give each scan a name "
                     "of its own.", **params)
    if code == "scan_too_large":
        return env._("The scan %(name)s is larger than %(limit)s MB. Scan it again at a lower "
                     "resolution.", **params)
    if code == "scan_unreadable":
        return env._("The scan %(name)s cannot be read from the zip: it is damaged or protected "
                     "by a password.", **params)
    raise ValueError(f"unknown sheet error {code}")
