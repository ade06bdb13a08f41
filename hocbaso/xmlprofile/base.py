"""What every XML record profile offers, so an official MOET schema can replace ours.

A profile turns a :class:`hocbaso.record.Record` into signed-ready XML and back, checks XML
against its XSD and tells the signers where the payload and the signature slots are. Models,
signers and the sync code only talk to this interface (through :func:`get_profile`).
"""

from __future__ import annotations

import abc
import pathlib
import threading

from lxml import etree

from .. import roles
from ..errors import SchemaValidationError
from ..record import Record
from ..safexml import parse_untrusted

# Roles of the signature slots, under the names the profiles use (table: hocbaso.roles).
ROLE_SUBJECT_TEACHER = roles.ROLE_GVBM
ROLE_HOMEROOM_TEACHER = roles.ROLE_GVCN
ROLE_LEADER = roles.ROLE_CBQL
ROLE_ISSUANCE = roles.ROLE_ISSUER
SIGNING_ORDER = roles.SIGNING_ORDER


class Profile(abc.ABC):
    """One version of the record XML format."""

    #: the value of the root attribute that names the format, e.g. "hocbaso-1.0"
    version: str = ""
    #: the XSD every built or received document must satisfy
    xsd_path: pathlib.Path

    def __init__(self):
        # lxml validators keep their error log on the object: one per thread.
        self._local = threading.local()

    # --- what a profile must implement ---------------------------------------------------
    @abc.abstractmethod
    def to_tree(self, record: Record) -> etree._Element:
        """The record as an element tree with empty signature slots (not validated)."""

    @abc.abstractmethod
    def from_tree(self, root: etree._Element) -> Record:
        """The record read back from a schema-valid tree; signatures are ignored."""

    @abc.abstractmethod
    def check_record(self, record: Record) -> list[str]:
        """Rules the XSD cannot express; clerk-readable lines, empty when all is well."""

    @abc.abstractmethod
    def explain(self, error_log, root: etree._Element) -> list[str]:
        """Clerk-readable lines for the XSD errors in ``error_log``."""

    @abc.abstractmethod
    def payload_element_ids(self, xml) -> list[str]:
        """The Id of every signable payload element, in document order."""

    @abc.abstractmethod
    def subject_element_id(self, subject_code: str) -> str:
        """The Id of the element holding one subject's results."""

    @abc.abstractmethod
    def signature_slot(self, xml, role: str, subject_code: str = "") -> etree._Element:
        """The element a signature of ``role`` is appended to (``subject_code`` for GVBM)."""

    # --- shared behaviour ----------------------------------------------------------------
    def build(self, record: Record) -> bytes:
        """UTF-8 XML with declaration, schema-valid, same bytes for the same record."""
        problems = self.check_record(record)
        root = self.to_tree(record)
        self._raise_if(problems + self.schema_errors(root))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def parse(self, xml) -> Record:
        """Read a record file (bytes, parsed through safexml) after checking it against the XSD."""
        root = self.root(xml)
        self.validate(root)
        record = self.from_tree(root)
        self._raise_if(self.check_record(record))
        return record

    def validate(self, xml) -> None:
        """Raise SchemaValidationError, with readable ``errors``, unless ``xml`` follows the XSD."""
        self._raise_if(self.schema_errors(self.root(xml)))

    def schema_errors(self, root: etree._Element) -> list[str]:
        """Readable XSD errors of ``root``; empty when it is valid."""
        schema = self.schema()
        if schema.validate(root):
            return []
        return self.explain(schema.error_log, root) or [str(schema.error_log)]

    def schema(self) -> etree.XMLSchema:
        schema = getattr(self._local, "schema", None)
        if schema is None:
            # Our own file, but it goes through the same hardened parser as everything else.
            schema = etree.XMLSchema(parse_untrusted(pathlib.Path(self.xsd_path).read_bytes()))
            self._local.schema = schema
        return schema

    @staticmethod
    def root(xml) -> etree._Element:
        """The root element of ``xml`` given as bytes, an element or an element tree."""
        if isinstance(xml, etree._ElementTree):
            return xml.getroot()
        if isinstance(xml, etree._Element):
            return xml
        return parse_untrusted(xml)

    def _raise_if(self, errors: list[str]) -> None:
        if errors:
            raise SchemaValidationError(
                "The record does not follow the %(version)s format: %(detail)s",
                errors=errors, version=self.version)
