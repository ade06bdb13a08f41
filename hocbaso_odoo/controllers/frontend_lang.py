"""Which language a page is read in: the one the visitor's URL names, else the reader's own."""

from urllib.parse import urlsplit

from odoo.http import request


def url_lang_chosen():
    """Did the URL the visitor opened name the page's language (/en/hocbaso/verify)?

    Odoo's routing strips that prefix before the controller runs; the server's original
    REQUEST_URI keeps it. Where the server gives none, a GET served in another language than
    the default one came under its prefix (Odoo redirects there otherwise)."""
    original = request.httprequest.environ.get("REQUEST_URI")
    if original is None:
        return (request.httprequest.method == "GET"
                and request.lang.code != request.env["ir.http"]._get_default_lang().code)
    return urlsplit(original).path.split("/")[1:2] == [request.lang.url_code]


def user_lang_redirect():
    """A signed-in user reads their own pages in their own language: a URL that names none is
    sent to the user's language's address (the frontend_lang cookie may hold the language of
    the last page seen, e.g. the login page's)."""
    user = request.env.user
    if user._is_public() or request.httprequest.method != "GET":
        return None
    lang = user.lang
    Lang = request.env["res.lang"]
    if not lang or lang == request.lang.code or lang not in Lang._get_frontend() \
            or url_lang_chosen():
        return None
    query = request.httprequest.query_string.decode()
    return request.redirect(
        f"/{Lang._get_data(code=lang).url_code}{request.httprequest.path}"
        + (f"?{query}" if query else ""), code=303, local=True)
