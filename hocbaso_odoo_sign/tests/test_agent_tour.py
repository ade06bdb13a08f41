"""The USB token on the teacher's own PC, in the browser: the reference signing agent runs as a
real process on a SoftHSM2 token holding her key; she signs the class with one PIN; every
signature then verifies, with ours and with xmlsec1."""

import base64
import os
import socket
import subprocess
import sys

from odoo.tests import HttpCase, tagged

from hocbaso import pdfsign

from .common import REPO_ROOT, SignCase

from security import softhsm  # noqa: E402 - put on sys.path by .common

PIN = "7391"


@tagged("post_install", "-at_install")
class TestAgentTour(SignCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        leaf = cls.pki.leaf("gvbm")  # the demo subject teacher's key (gvbm_math)
        cls.token = softhsm.create_token("hocbaso-agent-tour", leaf.key, leaf.certificate,
                                         pin=PIN)
        cls.agent_log = open(os.path.join(softhsm.token_directory().parent, "agent.log"), "w")
        cls.agent, cls.agent_port = cls._start_agent(cls.token, cls.agent_log)
        cls.addClassCleanup(cls._stop_agent, cls.agent, cls.agent_log)
        cls.school.hocbaso_agent_port = cls.agent_port
        cls.certs[cls.gvbm_math].write({"backend": "agent", "p12_file": False})

    @classmethod
    def _start_agent(cls, token, log):
        """(process, port) of the reference agent on ``token``, its log in ``log``."""
        agent = subprocess.Popen(
            [sys.executable, "-m", "hocbaso_agent", "--module", token.module_path,
             "--token-label", token.token_label, "--port", "0",
             "--allow-origin", cls.base_url()],
            env=dict(os.environ, PYTHONPATH=str(REPO_ROOT / "agent")),
            stdout=subprocess.PIPE, stderr=log, text=True)
        line = agent.stdout.readline()
        if not line.startswith("listening on http://127.0.0.1:"):
            agent.kill()
            raise RuntimeError("the signing agent did not start: %r" % line)
        return agent, int(line.split()[2].rsplit(":", 1)[1])

    @staticmethod
    def _stop_agent(agent, log):
        agent.terminate()
        try:
            agent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            agent.kill()
        agent.stdout.close()
        log.close()

    def test_subject_teacher_signs_the_class_with_her_token(self):
        self.load_vietnamese()
        self.lock(self.records)
        self.gvbm_math.lang = "vi_VN"
        posts = self._agent_posts()
        self.start_tour("/odoo", "hocbaso_agent_sign", login=self.gvbm_math.login, timeout=120)
        lines = self.records.line_ids.filtered(lambda line: line.teacher_id == self.gvbm_math)
        self.assertTrue(lines and all(lines.mapped("gvbm_signed")))
        for record in self.records:
            report = record._verify_report()
            self.assertTrue(report.valid, report.to_dict())
            mine = record.signature_ids.filtered(lambda s: s.user_id == self.gvbm_math)
            self.assertEqual(mine.mapped("role"), ["gvbm"])
        result = self.xmlsec1_verify(self.records[:1]._get_xml(), "sig-gvbm-" + self.subj_math.code)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self._agent_posts(), posts + 1)  # one PIN, one request
        self.assertNotIn(PIN, self._agent_text())

    def _agent_text(self, log=None, port=None):
        """The agent's log, without its port (digits that could look like a PIN)."""
        with open((log or self.agent_log).name) as text:
            return text.read().replace(str(port or self.agent_port), "")

    def _agent_posts(self, log=None, port=None):
        return self._agent_text(log, port).count('"POST /v1/sign')

    def test_issuer_certifies_the_printed_pdfs_with_the_same_pin(self):
        """The school's key on the issuer's token: one PIN issues the class and certifies
        each record's printed PDF (a second request to the agent, with the PIN typed once)."""
        self.load_vietnamese()
        self.lock(self.records)
        # the teacher signs her subjects from her .p12 here; the school's key goes on a token
        leaf = self.pki.leaf("gvbm")
        self.certs[self.gvbm_math].write({"backend": "pkcs12", "p12_file": base64.b64encode(
            leaf.p12)})
        self.sign_to(self.records, last_role="cbql")
        school = self.pki.leaf("school")
        token = softhsm.create_token("hocbaso-agent-school", school.key, school.certificate,
                                     pin=PIN)
        log = open(os.path.join(softhsm.token_directory().parent, "agent-school.log"), "w")
        agent, port = self._start_agent(token, log)
        self.addCleanup(self._stop_agent, agent, log)
        self.school.hocbaso_agent_port = port
        self.school_cert.write({"backend": "agent", "p12_file": False})
        self.issuer.lang = "vi_VN"
        self.start_tour("/odoo", "hocbaso_agent_sign", login=self.issuer.login, timeout=120)
        self.assertEqual(set(self.records.mapped("state")), {"issued"})
        for record in self.records:
            report = pdfsign.verify_pdf(record._hocbaso_kept_pdf(), [self.pki.root], [],
                                        [self.pki.crl])
            self.assertTrue(report.ok, [str(p) for s in report.signatures for p in s.problems])
            self.assertEqual(report.signatures[0].certificate, school.certificate)
            self.assertEqual(report.record_xml, record._get_xml())
        self.assertEqual(self._agent_posts(log, port), 2)  # the records, then their PDFs
        self.assertNotIn(PIN, self._agent_text(log, port))

    def test_wrong_pin_is_said_once_and_nothing_is_signed(self):
        self.load_vietnamese()
        self.lock(self.records)
        self.gvbm_math.lang = "vi_VN"
        posts = self._agent_posts()
        before = {record: record.xml_document for record in self.records}
        self.start_tour("/odoo", "hocbaso_agent_wrong_pin", login=self.gvbm_math.login,
                        timeout=120)
        self.assertEqual(self._agent_posts(), posts + 1)  # tried once, never retried
        self.assertNotIn("0000", self._agent_text())
        batches = self.env["hocbaso.sign.batch"].search([])
        self.assertEqual(batches.mapped("state"), ["cancelled"])  # nothing left pending
        self.assertFalse(any(self.records.line_ids.mapped("gvbm_signed")))
        for record, document in before.items():
            self.assertEqual(record.xml_document, document)

    def test_agent_not_running_is_explained_and_nothing_is_prepared(self):
        self.load_vietnamese()
        self.lock(self.records)
        self.gvbm_math.lang = "vi_VN"
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            self.school.hocbaso_agent_port = sock.getsockname()[1]
        before = {record: record.xml_document for record in self.records}
        self.start_tour("/odoo", "hocbaso_agent_not_running", login=self.gvbm_math.login,
                        timeout=120)
        self.assertFalse(self.env["hocbaso.sign.batch"].search([]))  # asked the agent first
        self.assertFalse(any(self.records.line_ids.mapped("gvbm_signed")))
        for record, document in before.items():
            self.assertEqual(record.xml_document, document)
