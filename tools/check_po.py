#!/usr/bin/env python3
"""Check translation files (.po) of the addons before they ship.

Usage: tools/check_po.py path/to/vi.po [more.po ...]
       tools/check_po.py --code addon_dir [more addon dirs ...]

For every entry (the header and obsolete ``#~`` entries are skipped) it checks that:
  * the entry is translated (msgstr, or every msgstr[n], is not empty);
  * it is not marked fuzzy (Odoo ignores fuzzy translations);
  * the placeholders are the same: the set of named ones (%(student)s ...) is equal in
    msgid and msgstr, and the positional ones (%s, %d ...) appear in the same order;
    ``%%`` is a literal percent sign, not a placeholder;
  * the HTML tags are the same: the tag names (opening and closing) used in msgid and
    msgstr are equal, counted, case-insensitively.
  * the terms of the school year are spelt as the Circulars (TT22/2021, TT27/2020) and the
    printed record spell them: "học kì", "giữa kì", "cuối kì", "kiểm tra định kì", not "kỳ".
Plural entries compare msgid_plural's placeholders and tags with each msgstr[n].

With ``--code`` it checks instead that every string the addon's code translates (the first
argument of ``_()``, ``_lt()`` and ``env._()`` in its Python, read with ``ast``, and of ``_t()``
in its ``static/src`` JavaScript) has an entry in the addon's ``i18n/vi.po`` marked
``#. odoo-python`` (``#. odoo-javascript`` for JavaScript) with a ``#: code:addons/...:0``
reference: Odoo loads the translations used by code only from entries with that comment, so a
msgid that is in vi.po for a view or a field alone stays English in a ``_()`` call.

Prints one line per problem (file:line: msgid: problem) and exits 1 when there is any,
0 when every file is clean. Plain Python 3, no third-party package needed.
"""

import ast
import collections
import pathlib
import re
import sys

# %(name)s, %s, %d, %5.1f ... (no space flag, so "50% of" is not read as "% o")
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0+-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<conv>[sdifrxXeEgGc%])")
# <tag ...>, </tag>, <br/>: a name followed by whitespace, / or >
HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:._-]*)(?=[\s/>])")
# "học kỳ" on the screens beside "học kì" in the PDF: one spelling, the Circulars'
CIRCULAR_TERMS = re.compile(r"\b(?:học|giữa|cuối|kiểm tra định|đánh giá định) kỳ\b", re.I)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\",
           "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


class Entry:
    def __init__(self):
        self.line = 0
        self.flags = set()
        self.comments = set()
        self.occurrences = set()
        self.msgctxt = None
        self.msgid = None
        self.msgid_plural = None
        self.msgstr = None
        self.msgstr_plural = {}


def _unquote(text, path, lineno, problems):
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        problems.append("%s:%d: malformed string %s" % (path, lineno, text))
        return ""
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in ESCAPES:
                out.append(ESCAPES[nxt])
                i += 2
                continue
            octal = re.match(r"[0-7]{1,3}", body[i + 1:])
            if octal:
                out.append(chr(int(octal.group(0), 8)))
                i += 1 + len(octal.group(0))
                continue
            problems.append("%s:%d: unknown escape \\%s" % (path, lineno, nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def parse(path, problems):
    """The entries of the .po file at ``path`` (header and obsolete entries left out)."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        problems.append("%s: cannot read: %s" % (path, error))
        return []
    entries, current, field, obsolete = [], Entry(), None, False

    def close():
        nonlocal current, field, obsolete
        if current.msgid is not None and not obsolete:
            entries.append(current)
        current, field, obsolete = Entry(), None, False

    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            close()
            continue
        if line.startswith("#") and current.msgid is not None and not obsolete:
            close()  # a comment after an entry starts the next one
        if line.startswith("#~"):
            obsolete = True
            continue
        if line.startswith("#"):
            if line.startswith("#."):
                current.comments.add(line[2:].strip())
            elif line.startswith("#:"):
                current.occurrences.update(line[2:].split())
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith('"'):
            if field is None:
                problems.append("%s:%d: string outside of an entry" % (path, lineno))
                continue
            text = _unquote(line, path, lineno, problems)
            if isinstance(field, int):
                current.msgstr_plural[field] += text
            else:
                setattr(current, field, getattr(current, field) + text)
            continue
        match = KEYWORD.match(line)
        if not match:
            problems.append("%s:%d: cannot parse line: %s" % (path, lineno, line))
            continue
        keyword, index, text = match.group(1), match.group(2), match.group(3)
        if keyword in ("msgctxt", "msgid") and current.msgid is not None:
            close()  # entries not separated by a blank line
        text = _unquote(text, path, lineno, problems)
        if keyword == "msgid":
            current.line = lineno
        if index is not None:
            current.msgstr_plural[int(index)] = text
            field = int(index)
        else:
            setattr(current, keyword, text)
            field = keyword
    close()
    return [entry for entry in entries if entry.msgid != "" or entry.msgctxt is not None]


def placeholders(text):
    named, positional = set(), []
    for match in PLACEHOLDER.finditer(text):
        if match.group("conv") == "%":
            continue
        if match.group("name") is not None:
            named.add(match.group(0))
        else:
            positional.append(match.group(0))
    return named, positional


def html_tags(text):
    return collections.Counter(slash + name.lower() for slash, name in HTML_TAG.findall(text))


def _show(tags):
    return ", ".join("<%s>" % tag for tag in sorted(tags.elements())) or "none"


def compare(source, translation):
    """Problems in ``translation`` of ``source``: placeholders and HTML tags."""
    found = []
    named_src, pos_src = placeholders(source)
    named_tr, pos_tr = placeholders(translation)
    if named_src != named_tr:
        missing, extra = sorted(named_src - named_tr), sorted(named_tr - named_src)
        detail = []
        if missing:
            detail.append("missing " + " ".join(missing))
        if extra:
            detail.append("unexpected " + " ".join(extra))
        found.append("named placeholders differ (%s)" % "; ".join(detail))
    if pos_src != pos_tr:
        found.append("positional placeholders differ: %s in msgid, %s in msgstr"
                     % (" ".join(pos_src) or "none", " ".join(pos_tr) or "none"))
    tags_src, tags_tr = html_tags(source), html_tags(translation)
    if tags_src != tags_tr:
        found.append("HTML tags differ: %s in msgid, %s in msgstr"
                     % (_show(tags_src), _show(tags_tr)))
    return found


def check(path):
    problems = []
    entries = parse(path, problems)
    for entry in entries:
        where = "%s:%d: %r" % (
            path,
            entry.line,
            entry.msgid[:60] + ("…" if len(entry.msgid) > 60 else ""),
        )
        if "fuzzy" in entry.flags:
            problems.append("%s: marked fuzzy" % where)
        if entry.msgid_plural is None:
            pairs = [(entry.msgid, entry.msgstr or "")]
        else:
            if not entry.msgstr_plural:
                pairs = [(entry.msgid_plural, "")]
            else:
                pairs = [
                    (
                        entry.msgid
                        if n == 0 and len(entry.msgstr_plural) > 1
                        else entry.msgid_plural,
                        text,
                    )
                    for n, text in sorted(entry.msgstr_plural.items())
                ]
        if any(not translation for _source, translation in pairs):
            problems.append("%s: not translated" % where)
            continue
        for source, translation in pairs:
            problems.extend("%s: %s" % (where, problem) for problem in compare(source, translation))
            if CIRCULAR_TERMS.search(translation):
                problems.append("%s: spell %r with kì, as the Circulars do"
                                % (where, CIRCULAR_TERMS.search(translation).group()))
    return entries, problems


PYTHON_COMMENT, JAVASCRIPT_COMMENT = "odoo-python", "odoo-javascript"
PYTHON_KEYWORDS = ("_", "_lt")
# _t("text") or _t("a" + "b"), in double, single or back quotes
JS_CALL = re.compile(r"\b_t\(\s*((?:([\"'`])(?:\\.|(?!\2).)*\2\s*\+?\s*)+)", re.S)
JS_STRING = re.compile(r"([\"'`])((?:\\.|(?!\1).)*)\1", re.S)


def _source_files(addon, pattern):
    for path in sorted(addon.rglob(pattern)):
        parts = path.relative_to(addon).parts
        if "tests" not in parts and "lib" not in parts:
            yield path


def python_code_strings(addon):
    """{msgid: [file]} of the constant first arguments of _(), _lt() and env._()."""
    found = collections.defaultdict(list)
    for path in _source_files(addon, "*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else None)
            first = node.args[0]
            if name in PYTHON_KEYWORDS and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str) and first.value:
                found[first.value].append(path)
    return found


def _js_unescape(text):
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match.group(1), match.group(1)), text)


def javascript_code_strings(addon):
    """{msgid: [file]} of the string literal first arguments of _t() in static/src."""
    found = collections.defaultdict(list)
    for path in _source_files(addon / "static" / "src", "*.js") \
            if (addon / "static" / "src").is_dir() else ():
        for call in JS_CALL.finditer(path.read_text(encoding="utf-8")):
            text = "".join(_js_unescape(part.group(2))
                           for part in JS_STRING.finditer(call.group(1)))
            if text:
                found[text].append(path)
    return found


def check_code(addon):
    """Problems: strings the addon's code translates without a code entry in its vi.po."""
    addon = pathlib.Path(addon).resolve()
    po_path = addon / "i18n" / "vi.po"
    problems = []
    entries = {entry.msgid: entry for entry in parse(str(po_path), problems)
               if entry.msgctxt is None}
    for comment, strings in ((PYTHON_COMMENT, python_code_strings(addon)),
                             (JAVASCRIPT_COMMENT, javascript_code_strings(addon))):
        for msgid, paths in sorted(strings.items()):
            where = "%s: %r (%s)" % (po_path, msgid[:60] + ("…" if len(msgid) > 60 else ""),
                                     paths[0].relative_to(addon.parent))
            entry = entries.get(msgid)
            if entry is None:
                problems.append("%s: used in code but not in vi.po" % where)
            elif comment not in entry.comments or not any(
                    occurrence.startswith("code:addons/") for occurrence in entry.occurrences):
                problems.append("%s: used in code but its entry lacks '#. %s' and a "
                                "'#: code:addons/...:0' reference: Odoo will not load it for "
                                "the code" % (where, comment))
    return problems


def main_code(addons):
    failed = False
    for addon in addons:
        problems = check_code(addon)
        for problem in problems:
            print(problem)
        failed = failed or bool(problems)
        print("%s: %s" % (addon, "%d problem(s)" % len(problems) if problems
                          else "OK, every string translated in code has a code entry"),
              file=sys.stderr)
    return 1 if failed else 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--code":
        return main_code(argv[2:])
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = False
    for path in argv[1:]:
        entries, problems = check(path)
        for problem in problems:
            print(problem)
        if problems:
            failed = True
            print(
                "%s: %d problem(s) in %d entries" % (path, len(problems), len(entries)),
                file=sys.stderr,
            )
        else:
            print("%s: OK, %d entries translated" % (path, len(entries)), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
