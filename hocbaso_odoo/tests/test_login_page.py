"""The login page as a school's staff and parents meet it."""

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestLoginPage(HttpCase):

    def test_login_asks_for_a_user_name_and_offers_no_signup(self):
        html = self.url_open("/web/login").text
        self.assertIn("User Name", html)
        self.assertNotIn("/web/signup", html, "schools create their users; nobody signs up")
        self.assertEqual(self.env["ir.config_parameter"].sudo().get_param(
            "auth_signup.invitation_scope"), "b2b")

    def test_login_page_names_its_language_and_the_product(self):
        html = self.url_open("/web/login").text
        self.assertRegex(html, r'<html[^>]* lang="en-US"')
        company = self.env.company.name
        self.assertIn(f"<title>School Records – {company}</title>", html)
        self.assertNotIn("<title>Odoo</title>", html)
