"""End to end with signing: OpenEduCat students -> records -> signed by every role -> issued.

Runs where the signing addon is installed next to the bridge (bin/test installs both in the
OpenEduCat database and checks that this class ran); the bridge itself does not need it.
"""

from odoo.tests import tagged

from .test_openeducat_import import TestOpenEduCatImport

try:
    from odoo.addons.hocbaso_odoo_sign.tests.common import SignCase
except ImportError:  # the signing addon is not in this database
    SignCase = None

if SignCase is not None:

    @tagged("post_install", "-at_install")
    class TestOpenEduCatSigning(SignCase, TestOpenEduCatImport):
        # the import tests run in TestOpenEduCatImport; only the signing path here
        test_import_is_idempotent_and_maps_marks = None
        test_wizard_requires_school_admin = None
        test_existing_students_are_linked_or_skipped = None

        def test_imported_records_are_signed_issued_and_verify(self):
            wizard = self.run_wizard()
            records = wizard.class_id.record_ids
            self.assertEqual(len(records), 2)
            for record in records:
                record.write({"conduct_year": "T", "homeroom_comment": "Chăm ngoan."})
            records.with_user(self.gvcn).action_lock()
            self.assertTrue(all(records.mapped("xml_document")))

            self.sign_to(records)
            self.assertEqual(set(records.mapped("state")), {"issued"})
            for record in records:
                report = record._verify_report()
                self.assertTrue(report.valid and report.intact and report.complete,
                                report.to_dict())
                xml = record._get_xml()
                self.assertIn(record.student_id.personal_id.encode(), xml)
                signature_ids = record.signature_ids.mapped("signature_ref")
                self.assertEqual(len(signature_ids), 5, "2 GVBM, GVCN, leadership, issuance")
                for signature_id in signature_ids:
                    result = self.xmlsec1_verify(xml, signature_id)
                    self.assertEqual(result.returncode, 0, f"{signature_id}: {result.stderr}")
