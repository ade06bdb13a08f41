"""Turn XSD validation errors into lines a school clerk can act on.

A personal ID of 11 digits becomes "Student › personal ID (SO_DINH_DANH): '12345678901' must
be 12 digits". libxml2 (lxml) decides whether a document is valid; when it is not, xmlschema
validates it again and its errors say, as data, which facet, type, content model or attribute
rejected which value where; no validator's English message is read. The identity constraints
(keys, unique, keyref) are evaluated here from their definitions in the XSD. The field names
come from the profile's labels; what a value must look like comes from the descriptions below,
keyed by the XSD pattern, enumeration or type that rejected it.
"""

from __future__ import annotations

import pathlib
import threading
from typing import Callable

import xmlschema
from xmlschema.validators import (
    XsdAnyElement,
    XsdAttributeGroup,
    XsdElement,
    XsdEnumerationFacets,
    XsdKeyref,
    XsdLengthFacet,
    XsdMaxInclusiveFacet,
    XsdMaxLengthFacet,
    XsdMinLengthFacet,
    XsdPatternFacets,
)

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

class Explainer:
    """Readable XSD errors for one profile.

    ``labels`` maps a tag to its English label (None: a pure container, left out of paths);
    ``item_label(element)`` names one entry of a repeated element ("Subject TOAN"), or None.
    """

    def __init__(self, labels: dict[str, str | None], item_label: Callable, constraints: dict,
                 xsd_path: str | pathlib.Path | None = None):
        self.labels = labels
        self.item_label = item_label
        self.constraints = constraints  # identity-constraint name -> template with %(value)s
        self.xsd_path = xsd_path
        self._schema = None
        self._lock = threading.Lock()

    def schema(self) -> xmlschema.XMLSchema:
        with self._lock:
            if self._schema is None:
                self._schema = xmlschema.XMLSchema(str(self.xsd_path))
            return self._schema

    def explain(self, error_log, root) -> list[str]:
        """Lines for a document libxml2 found invalid (``error_log``: its entries, of which only
        the structured ``path`` is used, when xmlschema finds nothing to say)."""
        lines: list[str] = []
        identity_lines = None
        errors = list(self.schema().iter_errors(root))
        # A value that is not even of its built-in type (e.g. "abc" for a number) also breaks
        # the facets of its named type: one line, with the named type's hint when there is one.
        not_typed = {error.path for error in errors
                     if isinstance(error, xmlschema.XMLSchemaDecodeError)}
        named_types = {error.path: error.validator.parent.local_name for error in errors
                       if error.path in not_typed and getattr(error.validator, "parent", None)
                       is not None and error.validator.parent.local_name in TYPE_HINTS}
        for error in errors:
            if self._is_identity_error(error):
                if identity_lines is None:  # every broken constraint, once, where the first is
                    identity_lines = self.identity_problems(root)
                    new = identity_lines
                else:
                    new = []
            elif error.path in not_typed:
                new = [self._type_line(error, root, named_types.get(error.path))]
            else:
                new = self._lines(error, root)
            lines.extend(line for line in new if line and line not in lines)
        if not lines:
            for entry in error_log:
                line = "%s: does not follow the record format" % self.place(entry.path, root)
                if line not in lines:
                    lines.append(line)
        return lines

    # --- one error ---------------------------------------------------------------------
    @staticmethod
    def _is_identity_error(error) -> bool:
        # a broken key, unique or keyref is reported against an element declaration, without
        # a facet, type or content model (the record's XSD uses no fixed, nil or abstract
        # elements, the other errors of that kind)
        return isinstance(error.validator, XsdElement) and \
            type(error) is xmlschema.XMLSchemaValidationError

    def _type_line(self, error, root, named_type: str | None) -> str | None:
        if not isinstance(error, xmlschema.XMLSchemaDecodeError):
            return None  # the decode error of the same value says it
        type_name = named_type or getattr(error.validator, "prefixed_name", None) or \
            getattr(error.validator, "local_name", None) or "?"
        return "%s: '%s' must be %s" % (self.place(error.path, root), error.obj,
                                         TYPE_HINTS.get(type_name, type_name))

    def _lines(self, error, root) -> list[str]:
        if isinstance(error.validator, XsdAttributeGroup):
            return self._attribute_lines(error.validator, error.elem,
                                         self.place(error.path, root))
        return [self._line(error, root)]

    def _line(self, error, root) -> str:
        validator, value = error.validator, error.obj
        where = self.place(error.path, root)
        if isinstance(error, xmlschema.XMLSchemaChildrenValidationError):
            return self._content_line(error, root, where)
        if isinstance(validator, XsdPatternFacets):
            pattern = validator.regexps[0] if validator.regexps else ""
            hint = next((PATTERN_HINTS[p] for p in validator.regexps if p in PATTERN_HINTS),
                        "text matching %s" % pattern)
            return "%s: '%s' must be %s" % (where, value, hint)
        if isinstance(validator, XsdEnumerationFacets):
            codes = [str(code) for code in validator.enumeration]
            hint = ENUMERATION_HINTS.get(frozenset(codes), ", ".join(codes))
            return "%s: '%s' is not allowed; use %s" % (where, value, hint)
        if isinstance(validator, (XsdMaxLengthFacet, XsdLengthFacet)) and \
                len(str(value)) > validator.value:
            return "%s: %s characters, at most %s allowed; shorten it" % (
                where, len(str(value)), validator.value)
        if isinstance(validator, XsdMinLengthFacet):
            return "%s: must not be empty" % where
        if isinstance(validator, XsdMaxInclusiveFacet):
            return "%s: '%s' is too large; at most %s" % (where, value, validator.value)
        return "%s: %s" % (where, error.reason or "does not follow the record format")

    def _content_line(self, error, root, where) -> str:
        """A child missing (``invalid_tag`` None) or one that may not stand where it is."""
        expected = [e for e in (error.expected or []) if isinstance(e, XsdElement)]
        if error.invalid_tag is None:
            return "%s: %s missing" % (where, self._expected([e.name for e in expected], "is"))
        child = error.invalid_child
        if child is not None:
            where = self.place(root.getroottree().getpath(child), root)
        if any(isinstance(part, XsdAnyElement) for part in error.validator.iter_elements()):
            return "%s: not allowed here; only digital signatures (ds:Signature) go in a " \
                   "signature slot" % where
        if expected:
            return "%s: %s is expected before this field (missing or out of order)" % (
                where, self._expected([e.name for e in expected], ""))
        return "%s: not allowed here in this record format" % where

    @staticmethod
    def _attribute_lines(attributes: XsdAttributeGroup, element, where) -> list[str]:
        present = element.attrib if element is not None else {}
        lines = ["%s: attribute %s is missing" % (where, name)
                 for name, attribute in attributes.items()
                 if attribute.use == "required" and name not in present]
        lines += ["%s: attribute %s is not allowed" % (where, name)
                  for name in present if name not in attributes]
        return lines or ["%s: its attributes do not follow the record format" % where]

    def identity_problems(self, root) -> list[str]:
        """The XSD's keys, unique and keyref constraints broken in ``root``, from their
        selector and field paths (the record's constraints sit on its root element)."""
        declaration = self.schema().elements.get(root.tag)
        if declaration is None:
            return []
        values = {}
        lines = []
        for identity in declaration.identities:
            found = []
            for selected in root.xpath(identity.selector.path):
                found.append(tuple(_field_value(selected, field.path)
                                   for field in identity.fields))
            values[identity.name] = found
            template = self.constraints.get(identity.name,
                                            "%(value)s breaks rule " + identity.name)
            if isinstance(identity, XsdKeyref):
                refer = values.get(identity.refer.name) if identity.refer is not None else None
                wrong = [v for v in found if refer is not None and v not in refer]
            else:
                wrong = [v for i, v in enumerate(found) if v in found[:i]]
            for value in dict.fromkeys(wrong):
                lines.append(template % {"value": ", ".join(value)})
        return lines

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

    def _expected(self, tags: list[str], verb: str) -> str:
        described = ["%s (%s)" % (self.labels.get(t) or t, t) for t in tags]
        if len(described) == 1:
            return (described[0] + " " + verb).strip()
        return ("one of " + ", ".join(described) + " " + verb).strip()


def _field_value(element, path: str) -> str:
    """The text of a constraint field (an element or an ``@attribute`` below ``element``)."""
    found = element.xpath(path)
    if not found:
        return ""
    first = found[0]
    return str(first if isinstance(first, str) else (first.text or "")).strip()
