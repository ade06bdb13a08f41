"""Migrations 18.0.1.1.0 (the record XML moves from an attachment into the row) and 18.0.1.2.0
(the row keeps the XML bytes instead of base64)."""

import base64
import hashlib
import importlib.util
import logging
import os

from odoo.exceptions import UserError
from odoo.modules.module import get_module_path
from odoo.tests import tagged

from ..tools import workflow
from .common import HocbasoCase


def _load_migration(version, name):
    path = os.path.join(get_module_path("hocbaso_odoo"), "migrations", version, name)
    spec = importlib.util.spec_from_file_location("hocbaso_migration_" + version.replace(".", "_"),
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigrationDocumentIntoRow(HocbasoCase):
    """Rebuild the 18.0.1.0.x layout (document in an ir.attachment with res_field, column
    empty) on real records, run the migration script as Odoo's upgrade would, and check that
    every byte arrives and nothing readable is left behind or lost."""

    def _old_layout(self, record, document):
        """The record as 18.0.1.0.x stored it: an attachment of the Binary field."""
        with workflow(self.env):  # the system's own write of the document, in the old form
            attachment = self.env["ir.attachment"].sudo().create({
                "name": "xml_document",
                "res_model": "hocbaso.record",
                "res_field": "xml_document",
                "res_id": record.id,
                "datas": base64.b64encode(document),
            })
        record.flush_recordset()
        self.env.cr.execute("UPDATE hocbaso_record SET xml_document = NULL WHERE id = %s",
                            [record.id])
        record.invalidate_recordset(["xml_document"])
        return attachment

    def _attachments(self, record):
        return self.env["ir.attachment"].sudo().search([
            ("res_model", "=", "hocbaso.record"), ("res_field", "=", "xml_document"),
            ("res_id", "=", record.id)])

    def test_documents_move_into_the_row_byte_for_byte(self):
        self.fill_secondary(self.record)
        self.record.with_user(self.gvcn).action_lock()
        document = self.record._get_xml()
        self.assertTrue(document.startswith(b"<?xml"))
        digest = hashlib.sha256(document).hexdigest()
        self.assertEqual(self.record.xml_sha256, digest)
        other = self.other_class_record[:1]
        other_document = "<?xml version='1.0' encoding='UTF-8'?>\n<a>Học bạ số</a>".encode()
        self._old_layout(self.record, document)
        self._old_layout(other, other_document)
        self.assertFalse(self.record._get_xml(), "the old layout has no document in the row")

        # logging.INFO, not "INFO": Odoo names its RUNBOT level (25) "INFO" too
        with self.assertLogs("hocbaso_migration_18_0_1_1_0", logging.INFO) as logs:
            _load_migration("18.0.1.1.0", "post-migrate.py").migrate(self.env.cr, "18.0.1.0.3")
        self.env.invalidate_all()

        self.assertEqual(self.record._get_xml(), document)
        self.assertEqual(hashlib.sha256(self.record._get_xml()).hexdigest(), digest)
        self.assertEqual(other._get_xml(), other_document)
        self.assertFalse(self._attachments(self.record), "a moved attachment is removed")
        self.assertFalse(self._attachments(other))
        self.assertIn("moved 2 record documents", "\n".join(logs.output))

    def test_unreadable_attachment_is_kept_and_reported(self):
        document = b"<?xml version='1.0' encoding='UTF-8'?>\n<a/>"
        attachment = self._old_layout(self.record, document)
        self.assertTrue(attachment.store_fname, "tests store attachments in the filestore")
        # its file is gone from the filestore (a restored database without its files)
        attachment.flush_recordset()
        self.env.cr.execute("UPDATE ir_attachment SET store_fname = %s, db_datas = NULL "
                            "WHERE id = %s", ["ab/missing-" + "0" * 30, attachment.id])
        attachment.invalidate_recordset()

        with self.assertLogs("hocbaso_migration_18_0_1_1_0", "WARNING") as logs:
            _load_migration("18.0.1.1.0", "post-migrate.py").migrate(self.env.cr, "18.0.1.0.3")
        self.env.invalidate_all()

        self.assertTrue(attachment.exists(), "an attachment that could not be read is kept")
        self.assertFalse(self.record._get_xml())
        self.assertIn("no readable content", "\n".join(logs.output))
        self.assertIn("record %s" % self.record.id, "\n".join(logs.output))

    def test_document_already_in_the_row_is_not_overwritten(self):
        """An update run twice (or a record written after 18.0.1.1.0 beside a stale
        attachment) keeps the row's document, and the attachment too."""
        self.fill_secondary(self.record)
        self.record.with_user(self.gvcn).action_lock()
        document = self.record._get_xml()
        with workflow(self.env):  # an old layout only the system ever wrote
            stale = self.env["ir.attachment"].sudo().create({
                "name": "xml_document", "res_model": "hocbaso.record",
                "res_field": "xml_document", "res_id": self.record.id,
                "datas": base64.b64encode(b"<stale/>")})
        self.env.flush_all()  # an upgrade starts from what is in the database

        with self.assertLogs("hocbaso_migration_18_0_1_1_0", "WARNING") as logs:
            _load_migration("18.0.1.1.0", "post-migrate.py").migrate(self.env.cr, "18.0.1.0.3")
        self.env.invalidate_all()

        self.assertEqual(self.record._get_xml(), document)
        self.assertTrue(stale.exists(), "nothing is deleted that was not moved")
        self.assertIn("left in place", "\n".join(logs.output))


@tagged("post_install", "-at_install")
class TestMigrationDocumentAsBytes(HocbasoCase):
    """Migration 18.0.1.2.0: the column held the document's base64 text; it now holds the
    document's bytes. Rows written before are converted, nothing unreadable is lost."""

    def _column(self, record):
        self.env.flush_all()
        self.env.cr.execute("SELECT xml_document FROM hocbaso_record WHERE id = %s", [record.id])
        value = self.env.cr.fetchone()[0]
        return bytes(value) if value is not None else None

    def _store_in_column(self, record, value):
        self.env.flush_all()
        self.env.cr.execute("UPDATE hocbaso_record SET xml_document = %s WHERE id = %s",
                            [value, record.id])
        self.env.invalidate_all()

    def test_base64_rows_become_the_documents_bytes(self):
        self.fill_secondary(self.record)
        self.record.with_user(self.gvcn).action_lock()
        document = self.record._get_xml()
        self.assertEqual(self._column(self.record), document, "new rows hold the bytes")
        self._store_in_column(self.record, base64.b64encode(document))  # as 18.0.1.1.0 wrote
        self.assertEqual(self.record._get_xml(), document, "a row not yet converted reads right")
        other = self.other_class_record[:1]
        unreadable = b"neither XML nor base64 !"
        self._store_in_column(other, unreadable)

        with self.assertLogs("hocbaso_migration_18_0_1_2_0", logging.INFO) as logs:
            _load_migration("18.0.1.2.0", "post-migrate.py").migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()

        self.assertEqual(self._column(self.record), document)
        self.assertEqual(hashlib.sha256(self.record._get_xml()).hexdigest(),
                         self.record.xml_sha256)
        self.assertEqual(self._column(other), unreadable, "what cannot be read is left alone")
        output = "\n".join(logs.output)
        self.assertIn("converted 1 record documents", output)
        self.assertIn("record %s: its stored XML is neither XML nor base64" % other.id, output)

        # run again (an update repeated): nothing left to convert, nothing changed
        with self.assertLogs("hocbaso_migration_18_0_1_2_0", logging.INFO) as logs:
            _load_migration("18.0.1.2.0", "post-migrate.py").migrate(self.env.cr, "18.0.1.1.0")
        self.assertEqual(self._column(self.record), document)
        self.assertIn("converted 0 record documents", "\n".join(logs.output))

    def test_the_orm_still_speaks_base64(self):
        """Forms, read() and /web/content get base64 as from any Binary field; writes may give
        base64 or the bytes."""
        self.fill_secondary(self.record)
        self.record.with_user(self.gvcn).action_lock()
        document = self.record._get_xml()
        self.assertEqual(self.record.xml_document, base64.b64encode(document))
        self.assertEqual(self.record.read(["xml_document"])[0]["xml_document"],
                         base64.b64encode(document))
        size = self.record.with_context(bin_size=True).xml_document
        self.env.cr.execute("SELECT pg_size_pretty(%s::bigint)", [len(document)])
        self.assertEqual(size, self.env.cr.fetchone()[0],
                         "bin_size gives the size of the XML bytes")
        self.assertEqual(self.record.with_context(bin_size=True)._get_xml(), document)

        changed = document.replace(b"<?xml", b"<?xml ", 1)
        with workflow(self.env):  # the only door the document is written through
            self.record.sudo().write({"xml_document": base64.b64encode(changed)})
            self.assertEqual(self._column(self.record), changed)
            self.record.sudo().write({"xml_document": document})
            self.assertEqual(self._column(self.record), document)
            self.record.sudo().write({"xml_document": False})
        self.assertIsNone(self._column(self.record))

        # Odoo's own guard for Binary columns: an SVG (scripts, if served) only from an admin;
        # it runs when the value reaches the column, so the user's own environment flushes
        # (no user writes the document by hand: only through the workflow's door)
        as_teacher = self.record.with_user(self.gvcn)
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint(), \
                workflow(self.env):
            as_teacher.write({"xml_document": b"<svg xmlns='http://www.w3.org/2000/svg'/>"})
            as_teacher.env.flush_all()
        self.assertIn("SVG", str(caught.exception), "refused as an SVG, not for access")
