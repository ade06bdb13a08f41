"""What a school reports before signing starts: its staff equipped with a valid certificate,
and certificates that read as what they are wherever the web client shows them."""

from odoo.tests import tagged

from .common import SignCase


@tagged("post_install", "-at_install")
class TestReadiness(SignCase):

    def test_certificate_status_in_the_web_client_views(self):
        """The list and form views read binary fields with bin_size: the status must still
        come from the certificate, not from the size text ("Unreadable" for every one)."""
        for cert in self.certs.values():
            shown = cert.with_user(self.school_admin).with_context(bin_size=True)
            shown.invalidate_recordset()
            self.assertEqual(shown.status, "valid", shown.status_message)

    def test_share_of_staff_with_a_valid_certificate(self):
        # teachers and leaders of the school: the four with certificates, and the others
        # HocbasoCase sets up (another homeroom teacher; not the school admin, who signs nothing)
        company = self.school
        staff = company.hocbaso_signer_count
        self.assertGreaterEqual(staff, 5)
        self.assertEqual(company.hocbaso_certified_count, len(self.signers))
        self.assertAlmostEqual(company.hocbaso_certified_pct,
                               round(100.0 * len(self.signers) / staff, 2))
        # a certificate taken out of use no longer counts
        self.certs[self.gvbm_math].active = False
        company.invalidate_recordset()
        self.assertEqual(company.hocbaso_certified_count, len(self.signers) - 1)
