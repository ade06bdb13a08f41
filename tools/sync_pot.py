#!/usr/bin/env python3
"""Keep each addon's .pot in step with its vi.po.

Usage: tools/sync_pot.py [--check] [addon_dir ...]   (default: every hocbaso_odoo* addon)

Why: when Odoo loads ``i18n/vi.po`` it merges it with the addon's ``.pot`` first
(odoo.tools.translate.PoFileReader), and polib's merge makes every entry missing from the .pot
obsolete. A translation added to vi.po alone is then silently dropped: the screen stays in
English although vi.po is right. Odoo's own exporter needs a database; this writes the .pot from
vi.po itself (same msgids, comments, occurrences and flags, empty msgstr), which is all the merge
reads. ``--check`` only reports the entries out of step, and entries without the
``#. module:`` comment Odoo's reader needs, and exits 1 if there are any.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def _key(entry):
    return (entry.msgctxt or "", entry.msgid)


def _shape(entry):
    return (entry.comment, sorted(entry.occurrences), sorted(entry.flags), entry.msgid_plural)


def out_of_step(addon: Path) -> list[str]:
    po = polib.pofile(str(addon / "i18n" / "vi.po"))
    pot_path = addon / "i18n" / (addon.name + ".pot")
    pot = {_key(entry): entry for entry in polib.pofile(str(pot_path))} \
        if pot_path.exists() else {}
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if not (entry.comment or "").startswith(("module: ", "modules: ")):
            # Odoo's PoFileReader reads the module from this comment and fails without it:
            # installing the language stops with an AttributeError
            problems.append("%s: %r has no '#. module: %s' comment in vi.po"
                            % (addon.name, entry.msgid[:60], addon.name))
        there = pot.get(_key(entry))
        if there is None:
            problems.append("%s: %r is not in %s" % (addon.name, entry.msgid[:60], pot_path.name))
        elif _shape(there) != _shape(entry):
            problems.append("%s: %r has other comments or occurrences in %s"
                            % (addon.name, entry.msgid[:60], pot_path.name))
    return problems


def write_pot(addon: Path) -> None:
    po = polib.pofile(str(addon / "i18n" / "vi.po"))
    pot_path = addon / "i18n" / (addon.name + ".pot")
    old = polib.pofile(str(pot_path)) if pot_path.exists() else None
    pot = polib.POFile(wrapwidth=po.wrapwidth)
    pot.header = old.header if old is not None else (
        "Translation of Odoo Server.\nThis file contains the translation of the following "
        "modules:\n\t* %s\n" % addon.name)
    pot.metadata = dict(old.metadata) if old is not None else {
        key: ("" if key in ("PO-Revision-Date", "Last-Translator", "Language-Team", "Language",
                            "Plural-Forms") else value)
        for key, value in po.metadata.items()}
    for entry in po:
        if entry.obsolete:
            continue
        pot.append(polib.POEntry(
            msgctxt=entry.msgctxt, msgid=entry.msgid, msgid_plural=entry.msgid_plural,
            msgstr="" if not entry.msgid_plural else "",
            msgstr_plural={index: "" for index in entry.msgstr_plural} or {},
            comment=entry.comment, tcomment=entry.tcomment,
            occurrences=list(entry.occurrences), flags=list(entry.flags)))
    pot.save(str(pot_path))


def main(argv):
    check = "--check" in argv
    names = [arg for arg in argv if arg != "--check"]
    addons = [Path(name).resolve() for name in names] or sorted(
        path for path in ROOT.glob("hocbaso_odoo*") if (path / "i18n" / "vi.po").exists())
    problems = []
    for addon in addons:
        if check:
            problems.extend(out_of_step(addon))
        else:
            write_pot(addon)
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
