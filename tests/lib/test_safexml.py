"""The hardened parser refuses every known XML attack with a clear message, and leaks nothing."""

import http.server
import pathlib
import threading

import pytest
from lxml import etree

from hocbaso import safexml
from hocbaso.errors import UnsafeXmlError
from hocbaso.samples import sample_primary_record
from hocbaso.xmlprofile import get_profile

PASSWD = pathlib.Path("/etc/passwd").read_text(encoding="utf-8", errors="replace")
PASSWD_MARKER = PASSWD.splitlines()[0]  # "root:x:0:0:..." on Debian

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE HOC_BA [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<HOC_BA>&leak;</HOC_BA>"""

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%s;" % (b"%d" % (i - 1) if i > 1 else b"") * 10)
               for i in range(1, 10))
    + b"]><lolz>&lol9;</lolz>"
)


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802 (http.server API)
        self.hits.append(self.path)
        body = (b'<!ENTITY % leak SYSTEM "file:///etc/passwd">'
                b'<!ENTITY % wrap "<!ENTITY all \'%leak;\'>">%wrap;')
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def dtd_server():
    """A real HTTP server on 127.0.0.1 serving a malicious external DTD; counts requests."""
    _CountingHandler.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/evil.dtd" % server.server_address[1], _CountingHandler.hits
    server.shutdown()
    server.server_close()


def _refused(data, **kwargs) -> str:
    with pytest.raises(UnsafeXmlError) as info:
        safexml.parse_untrusted(data, **kwargs)
    message = info.value.message
    assert PASSWD_MARKER not in message
    return message


def test_xxe_system_file_is_refused():
    message = _refused(XXE_FILE)
    assert "DOCTYPE" in message and "security" in message


def test_external_parameter_entity_is_refused_and_never_fetched(dtd_server):
    url, hits = dtd_server
    data = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % ext SYSTEM "' + url.encode()
            + b'"> %ext;]><r>&all;</r>')
    assert "DOCTYPE" in _refused(data)
    assert hits == []


def test_locked_parser_does_not_fetch_or_expand_even_if_the_scan_missed(dtd_server):
    """Defence in depth: the lxml parser alone loads no external DTD and no file."""
    url, hits = dtd_server
    data = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % ext SYSTEM "' + url.encode()
            + b'"> %ext;]><r>x</r>')
    try:
        root = etree.fromstring(data, safexml._parser())
        assert PASSWD_MARKER not in etree.tostring(root).decode()
    except etree.XMLSyntaxError:
        pass  # refusing is fine too; fetching is not
    assert hits == []
    root = etree.fromstring(XXE_FILE, safexml._parser())
    assert PASSWD_MARKER not in etree.tostring(root).decode()
    assert root.text is None  # the entity stays an unresolved reference


def test_billion_laughs_is_refused_quickly():
    assert b"&lol9;" in BILLION_LAUGHS and BILLION_LAUGHS.count(b"<!ENTITY") == 10
    assert "DOCTYPE" in _refused(BILLION_LAUGHS)
    with pytest.raises(etree.XMLSyntaxError):  # and the parser alone would not expand it
        etree.fromstring(BILLION_LAUGHS, safexml._parser())


def test_oversized_input_is_refused():
    data = b"<r>" + b"a" * 2000 + b"</r>"
    message = _refused(data, max_bytes=1000)
    assert "2007" in message and "1000" in message
    assert safexml.parse_untrusted(data, max_bytes=len(data)).tag == "r"


def test_default_limit_is_five_mebibytes():
    assert safexml.DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    data = b"<r>" + b"a" * safexml.DEFAULT_MAX_BYTES + b"</r>"
    assert "bytes allowed" in _refused(data)


@pytest.mark.parametrize("data", [
    b"<!DOCTYPE HOC_BA><HOC_BA/>",
    b'<?xml version="1.0"?>\n<!DOCTYPE HOC_BA SYSTEM "hocba.dtd">\n<HOC_BA/>',
    b"<!doctype HOC_BA><HOC_BA/>",
    b"<HOC_BA><!-- <!ENTITY x 'y'> --></HOC_BA>",
], ids=["plain", "system-id", "lowercase", "in-comment"])
def test_doctype_without_entities_is_refused(data):
    assert "DOCTYPE or entity" in _refused(data)


def test_xinclude_is_refused():
    data = (b'<HOC_BA xmlns:xi="http://www.w3.org/2001/XInclude">'
            b'<xi:include href="file:///etc/passwd" parse="text"/></HOC_BA>')
    assert "XInclude" in _refused(data)


def test_not_well_formed_reports_the_line():
    message = _refused(b"<HOC_BA>\n<DU_LIEU_HOC_BA>\n</HOC_BA>")
    assert "not well-formed" in message and "line 3" in message


def test_empty_input_is_refused():
    message = _refused(b"")
    assert "not well-formed" in message or "empty" in message


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_are_refused(codec):
    text = '<?xml version="1.0" encoding="%s"?><!DOCTYPE r [<!ENTITY x SYSTEM ' \
           '"file:///etc/passwd">]><r>&x;</r>' % codec.split("-")[0].upper()
    message = _refused(text.encode(codec))
    assert "UTF-16 or UTF-32" in message and "UTF-8" in message


def test_other_declared_encoding_is_refused():
    message = _refused('<?xml version="1.0" encoding="ISO-8859-1"?><r>é</r>'.encode("latin-1"))
    assert "ISO-8859-1" in message and "only UTF-8" in message


def test_invalid_utf8_bytes_are_refused():
    assert "not valid UTF-8" in _refused(b"<r>\xff\xfe</r>")


def test_utf8_with_bom_and_declaration_is_accepted():
    root = safexml.parse_untrusted('\ufeff<?xml version="1.0" encoding="utf-8"?><r>Đức</r>'
                                   .encode("utf-8"))
    assert root.text == "Đức"


def test_a_built_record_parses_and_keeps_comments():
    xml = get_profile().build(sample_primary_record())
    root = safexml.parse_untrusted(xml)
    assert root.tag == "HOC_BA" and root.find("DU_LIEU_HOC_BA").get("Id") == "data"
    with_comment = safexml.parse_untrusted(b"<r><!-- kept --><a/></r>")
    assert isinstance(with_comment[0], etree._Comment)


def test_text_is_not_accepted_only_bytes():
    with pytest.raises(TypeError):
        safexml.parse_untrusted("<r/>")
