"""Turn libxml2's XSD messages into lines a school clerk can act on.

"Element 'SO_DINH_DANH': [facet 'pattern'] The value '12345' is not accepted by the pattern
'[0-9]{12}'." becomes "Student › personal ID (SO_DINH_DANH): '12345' must be 12 digits".
The field names come from the profile's labels; what a value must look like comes from the
descriptions below, keyed by the XSD pattern or enumeration that rejected it.
"""

from __future__ import annotations

import re
from typing import Callable

SEPARATOR = " › "

# What a value must look like, by the XSD pattern that rejected it.
PATTERN_HINTS = {
    "[0-9]{12}": "12 digits",
    "[0-9]{4}-[0-9]{4}": "a school year written YYYY-YYYY, e.g. 2024-2025",
    "[0-9]{4}-[0-9]{2}-[0-9]{2}": "a date written YYYY-MM-DD",
    "[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?":
        "a date written YYYY, YYYY-MM or YYYY-MM-DD",
    "[0-9]{2}": "2 digits",
    "[0-9]{5}": "5 digits",
    "[1-9][0-9]{0,9}": "a whole number from 1 up",
    "[A-Za-z0-9._\\-]{1,20}": "1 to 20 letters, digits, dots or dashes, without spaces or accents",
    "[A-Za-z0-9]{1,3}": "1 to 3 letters or digits",
    "[A-Z]{2}": "a 2-letter country code such as VN",
    "[A-Za-z0-9]{1,2}": "1 or 2 letters or digits",
    "[A-Za-z0-9_]{1,10}": "1 to 10 letters, digits or underscores, without spaces or accents",
    "mon-[A-Za-z0-9_]{1,10}": "'mon-' followed by the subject code",
    "(10|[0-9]|M)": "a whole-number test score from 0 to 10, or M (exempt)",
    "(10(\\.0)?|[0-9](\\.[0-9])?|Đ|CĐ|M)":
        "a score from 0 to 10 with at most one decimal (e.g. 7.5), or Đ, CĐ or M (exempt)",
    "[0-9]{1,3}(\\.[0-9]{1,2})?": "a number with at most 2 decimals, e.g. 24.5",
    "0|[1-9][0-9]*": "a whole number without leading zeros",
}

# What the codes of an enumeration mean, by the set of allowed values.
ENUMERATION_HINTS = {
    frozenset("THCM"): "T (completed well), H (completed), C (not yet completed) or M (exempt)",
    frozenset(["T", "Đ", "C"]): "T (good), Đ (satisfactory) or C (needs more effort)",
    frozenset(["T", "K", "Đ", "CĐ"]):
        "T (good), K (fair), Đ (satisfactory) or CĐ (not satisfactory)",
    frozenset(["HTXS", "HTT", "HT", "CHT"]): "HTXS, HTT, HT or CHT",
    frozenset(["01", "02", "03", "04", "05"]):
        "01 (preschool), 02 (primary), 03 (lower secondary), 04 (upper secondary) "
        "or 05 (continuing education)",
    frozenset("01"): "0 (no) or 1 (yes)",
    frozenset("012"): "0 (unknown), 1 (male) or 2 (female)",
    frozenset("12"): "1 (valid) or 2 (revoked)",
    frozenset(["TT27", "TT22"]): "TT27 (primary) or TT22 (lower and upper secondary)",
}

TYPE_HINTS = {
    "xs:date": "a real calendar date written YYYY-MM-DD",
    "Date": "a real calendar date written YYYY-MM-DD",
    "Sessions200": "a whole number from 0 to 200",
    "HalfDays300": "a whole number from 0 to 300",
    "xs:nonNegativeInteger": "a whole number, 0 or more",
}

_ELEMENT = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: (.*)$", re.S)
_PATTERN = re.compile(
    r"\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '(.*)'\.$", re.S)
_ENUM = re.compile(
    r"\[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.*)\}\.$", re.S)
_MAX_LEN = re.compile(
    r"\[facet 'maxLength'\] The value has a length of '(\d+)'; .* length of '(\d+)'\.$")
_MIN_LEN = re.compile(
    r"\[facet 'minLength'\] The value has a length of '(\d+)'; .* length of '(\d+)'\.$")
_MAX_INCL = re.compile(
    r"\[facet 'maxInclusive'\] The value '(.*)' is greater than .*\('(.*)'\)\.$")
_ATOMIC = re.compile(
    r"^'(.*)' is not a valid value of the (local )?(?:atomic|union|list) type '?([^']*)'?\.$",
    re.S)
_MISSING = re.compile(r"Missing child element\(s\)\. Expected is (?:one of )?\( (.*) \)\.$")
_UNEXPECTED = re.compile(
    r"This element is not expected\.(?: Expected is (?:one of )?\( (.*) \)\.)?$")
_DUPLICATE = re.compile(
    r"Duplicate key-sequence \[(.*)\] in (?:unique|key) identity-constraint '(.*)'\.$")
_NO_MATCH = re.compile(r"No match found for key-sequence \[(.*)\] of keyref '(.*)'\.$")
# libxml2 follow-ups of an error already reported on the same value
_CONSEQUENCES = ("No precomputed value available", "Not all fields of key identity-constraint")
_ATTR_MISSING = re.compile(r"The attribute '(.*)' is required but missing\.$")
_ATTR_NOT_ALLOWED = re.compile(r"The attribute '(.*)' is not allowed\.$")


class Explainer:
    """Readable XSD errors for one profile.

    ``labels`` maps a tag to its English label (None: a pure container, left out of paths);
    ``item_label(element)`` names one entry of a repeated element ("Subject TOAN"), or None.
    """

    def __init__(self, labels: dict[str, str | None], item_label: Callable, constraints: dict):
        self.labels = labels
        self.item_label = item_label
        self.constraints = constraints  # identity-constraint name -> template with %(value)s

    def explain(self, error_log, root) -> list[str]:
        lines: list[str] = []
        rejected_paths = set()
        for entry in error_log:
            line = self._line(entry, root, rejected_paths)
            if line and line not in lines:
                lines.append(line)
        return lines

    # --- one error ---------------------------------------------------------------------
    def _line(self, entry, root, rejected_paths) -> str | None:
        match = _ELEMENT.match(entry.message.strip())
        if not match:
            return "%s (line %s)" % (entry.message.strip(), entry.line)
        tag, attribute, text = match.groups()
        if any(noise in text for noise in _CONSEQUENCES):
            return None
        where = self.place(entry.path, root, attribute)
        key = (entry.path, attribute)
        found = _PATTERN.search(text)
        if found:
            rejected_paths.add(key)
            value, pattern = found.groups()
            hint = PATTERN_HINTS.get(pattern, "text matching %s" % pattern)
            return "%s: '%s' must be %s" % (where, value, hint)
        found = _ENUM.search(text)
        if found:
            rejected_paths.add(key)
            value, allowed = found.groups()
            codes = re.findall(r"'([^']*)'", allowed)
            hint = ENUMERATION_HINTS.get(frozenset(codes), ", ".join(codes))
            return "%s: '%s' is not allowed; use %s" % (where, value, hint)
        found = _MAX_LEN.search(text)
        if found:
            rejected_paths.add(key)
            return "%s: %s characters, at most %s allowed; shorten it" % ((where,) + found.groups())
        found = _MIN_LEN.search(text)
        if found:
            rejected_paths.add(key)
            return "%s: must not be empty" % where
        found = _MAX_INCL.search(text)
        if found:
            rejected_paths.add(key)
            return "%s: '%s' is too large; at most %s" % ((where,) + found.groups())
        found = _ATOMIC.search(text)
        if found:
            if key in rejected_paths:  # libxml2 repeats a facet error as a type error
                return None
            value, _local, type_name = found.groups()
            return "%s: '%s' must be %s" % (where, value, TYPE_HINTS.get(type_name, type_name))
        found = _MISSING.search(text)
        if found:
            return "%s: %s missing" % (where, self._expected(found.group(1), "is"))
        found = _UNEXPECTED.search(text)
        if found:
            if found.group(1) and "}*" in found.group(1):
                return "%s: not allowed here; only digital signatures (ds:Signature) go in a " \
                       "signature slot" % where
            if found.group(1):
                return "%s: %s is expected before this field (missing or out of order)" % (
                    where, self._expected(found.group(1), ""))
            return "%s: not allowed here in this record format" % where
        found = _DUPLICATE.search(text) or _NO_MATCH.search(text)
        if found:
            value = ", ".join(re.findall(r"'([^']*)'", found.group(1)))
            template = self.constraints.get(found.group(2),
                                            "%(value)s breaks rule " + found.group(2))
            return template % {"value": value}
        found = _ATTR_MISSING.search(text)
        if found:
            return "%s: attribute %s is missing" % (where, found.group(1))
        found = _ATTR_NOT_ALLOWED.search(text)
        if found:
            return "%s: attribute %s is not allowed" % (where, found.group(1))
        return "%s: %s" % (where, text)

    # --- naming places -----------------------------------------------------------------
    def place(self, path: str | None, root, attribute: str | None = None) -> str:
        """'Student › birth place › commune code (MA_XA)' for the element at ``path``."""
        if not path:
            return "Record"
        steps = [s for s in path.split("/") if s]
        names = []
        for depth, step in enumerate(steps):
            tag = step.split("[", 1)[0]
            last = depth == len(steps) - 1 and not attribute
            item = self._item(root, steps[: depth + 1], tag)
            if item:
                names.append(item)
                continue
            if tag not in self.labels:  # not part of the format: its name is all we have
                names.append(tag)
                continue
            label = self.labels[tag]
            if label is None:
                continue
            names.append("%s (%s)" % (label, tag) if last else label)
        if attribute:
            names.append("attribute %s" % attribute)
        return SEPARATOR.join(names) or "Record"

    def _item(self, root, steps, tag) -> str | None:
        try:
            found = root.getroottree().xpath("/" + "/".join(steps))
        except Exception:  # an odd path from libxml2 must not hide the error itself
            return None
        return self.item_label(found[0]) if found else None

    def _expected(self, names: str, verb: str) -> str:
        tags = [n.strip() for n in names.split(",") if n.strip() and not n.strip().startswith("##")]
        described = ["%s (%s)" % (self.labels.get(t) or t, t) for t in tags]
        if len(described) == 1:
            return (described[0] + " " + verb).strip()
        return ("one of " + ", ".join(described) + " " + verb).strip()
