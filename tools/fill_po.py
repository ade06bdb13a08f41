#!/usr/bin/env python3
"""Write an addon's vi.po from Odoo's export of its terms (tools/refresh_po.sh calls this).

Usage: tools/fill_po.py EXPORTED.po ADDON/i18n/vi.po

Every entry of the export is kept with Odoo's own comments and occurrences (so each field,
selection, view and code term is listed where Odoo looks for it). An entry the export left
untranslated takes the translation the current vi.po gives it, or else the one any other addon's
vi.po gives the same source text. Entries of the current vi.po that the export no longer has are
dropped: no screen shows them. Prints what is still untranslated and exits 1 if anything is.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def known_translations(own: Path) -> dict[str, str]:
    """msgid -> msgstr, the addon's own vi.po first, then the other addons'."""
    known: dict[str, str] = {}
    paths = [own] + sorted(p for p in ROOT.glob("hocbaso_odoo*/i18n/vi.po") if p != own)
    for path in paths:
        if not path.exists():
            continue
        for entry in polib.pofile(str(path)):
            if entry.msgstr and not entry.obsolete and not entry.fuzzy:
                known.setdefault(entry.msgid, entry.msgstr)
    return known


def main(exported: str, target: str) -> int:
    target_path = Path(target).resolve()
    known = known_translations(target_path)
    po = polib.pofile(exported, wrapwidth=78)
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if not entry.msgstr:
            entry.msgstr = known.get(entry.msgid, "")
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        if not entry.msgstr:
            missing.append(entry.msgid)
    po.metadata["Language"] = "vi"
    po.save(str(target_path))
    for msgid in missing:
        print("%s: untranslated: %r" % (target_path.parent.parent.name, msgid[:100]))
    return 1 if missing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
