"""Browser tests in headless Chromium (driven by Odoo's HttpCase): the parent's record page and
the public verification page, as a user sees them."""

from odoo.tests import tagged

from .test_portal import PortalCase

# The frontend assets load lazily after the page has loaded; a test that ends before the public
# root has started, or before the page's translations arrived, tears the page down under Odoo's
# own JS (errors "after termination", a cut translation fetch). So the checks run once the
# public root is up and the terms of the page's language (its <html lang>) are loaded. Odoo's
# default `ready` (wait for the frame to stop loading) is kept: a custom ready code polled
# during the load made Chromium abort Odoo's own translation fetch.
PUBLIC_ROOT = "@web/legacy/js/public/public_root_instance"
TRANSLATION = "@web/core/l10n/translation"


def after_public_root(code):
    return f"""
        new Promise((resolve) => {{
            const poll = () => odoo.loader.modules.has("{PUBLIC_ROOT}")
                ? resolve(odoo.loader.modules.get("{PUBLIC_ROOT}").default) : setTimeout(poll, 50);
            poll();
        }}).then(() => odoo.loader.modules.get("{TRANSLATION}").translationIsReady)
          .then(() => {{ {code} }});
    """


@tagged("post_install", "-at_install")
class TestPortalBrowser(PortalCase):

    def test_parent_record_page_in_browser(self):
        code = """
            const fail = (msg) => console.error("hocba browser test failed: " + msg);
            const link = document.querySelector("a.o_hocba_package");
            const rows = document.querySelectorAll("table.o_hocba_subjects tbody tr");
            if (!link) { fail("no package download link"); }
            else if (!link.getAttribute("href").endsWith("/package")) {
                fail("bad link " + link.href);
            }
            else if (rows.length !== 3) { fail("expected 3 subjects, got " + rows.length); }
            else if (!document.querySelector(".o_sig_valid")) { fail("no valid signature shown"); }
            else if ([...document.querySelectorAll("table.o_hocba_subjects td.text-end")]
                    .some((cell) => ["Đ", "CĐ", "M"].includes(cell.textContent.trim()))) {
                fail("a result shown as its bare code");
            }
            else {
                fetch(link.href).then((r) =>
                    r.ok && r.headers.get("Content-Type") === "application/zip"
                        ? console.log("test successful")
                        : fail("download answered " + r.status));
            }
        """
        self.browser_js(f"/my/hocba/{self.record.id}", after_public_root(code),
                        login="parent", timeout=60)

    def test_public_verification_in_browser(self):
        code = f"""
            const fail = (msg) => console.error("verify browser test failed: " + msg);
            const form = document.querySelector("form.o_hocbaso_verify_lookup");
            if (!form) {{ fail("no lookup form"); }}
            else {{
                form.querySelector("input[name=code]").value = "{self.code}";
                fetch("/hocbaso/verify?" + new URLSearchParams(new FormData(form)).toString())
                    .then((r) => r.text())
                    .then((html) => html.includes("Nguyễn Văn An") && html.includes("Đã phát hành")
                        ? console.log("test successful")
                        : fail("result page without the full name"));
            }}
        """
        self.browser_js("/hocbaso/verify", after_public_root(code), timeout=60)
