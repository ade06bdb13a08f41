"""Browser tests in headless Chromium (driven by Odoo's HttpCase): the parent's record page and
the public verification page, as a user sees them."""

from odoo.tests import tagged

from .test_portal import PortalCase


@tagged("post_install", "-at_install")
class TestPortalBrowser(PortalCase):

    def test_parent_record_page_in_browser(self):
        code = """
            const fail = (msg) => console.error("hocba browser test failed: " + msg);
            const link = document.querySelector("a.o_hocba_package");
            const rows = document.querySelectorAll("table.o_hocba_subjects tbody tr");
            if (!link) { fail("no package download link"); }
            else if (!link.getAttribute("href").endsWith("/package")) { fail("bad link " + link.href); }
            else if (rows.length !== 3) { fail("expected 3 subjects, got " + rows.length); }
            else if (!document.querySelector(".o_sig_valid")) { fail("no valid signature shown"); }
            else {
                fetch(link.href).then((r) => r.ok && r.headers.get("Content-Type") === "application/zip"
                    ? console.log("test successful") : fail("download answered " + r.status));
            }
        """
        self.browser_js(f"/my/hocba/{self.record.id}", code, ready="document.readyState === 'complete'",
                        login="parent", timeout=60)

    def test_public_verification_in_browser(self):
        code = f"""
            const fail = (msg) => console.error("verify browser test failed: " + msg);
            const form = document.querySelector("form.o_hocbaso_verify_lookup");
            if (!form) {{ fail("no lookup form"); }}
            else {{
                form.querySelector("input[name=record_id]").value = "{self.record.record_uuid}";
                form.querySelector("input[name=code]").value = "{self.code}";
                fetch("/hocbaso/verify?" + new URLSearchParams(new FormData(form)).toString())
                    .then((r) => r.text())
                    .then((html) => html.includes("Nguyễn Văn An") && html.includes("Còn hiệu lực")
                        ? console.log("test successful") : fail("result page without the full name"));
            }}
        """
        self.browser_js("/hocbaso/verify", code, ready="document.readyState === 'complete'", timeout=60)
