"""The signed samples for integrators: current, and verified by xmlsec1 and hocbaso-verify."""

from __future__ import annotations

import importlib.util
import pathlib
import shutil
import subprocess
import sys

import pytest
from cryptography import x509
from lxml import etree

from hocbaso.signing import xmldsig as X
from hocbaso.verify import verify_document
from hocbaso.xmlprofile import get_profile

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDER = ROOT / "data" / "samples" / "signed"
SPEC = importlib.util.spec_from_file_location("gen_signed_samples",
                                              ROOT / "tools" / "gen_signed_samples.py")
GEN = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(GEN)
XMLSEC_IDS = ["--id-attr:Id", "DU_LIEU_HOC_BA", "--id-attr:Id", "THONG_TIN_HOC_BA",
              "--id-attr:Id", "DIEM_TONG_KET", "--id-attr:Id", X.DS_NS + ":Signature",
              "--id-attr:Id", X.XADES_NS + ":SignedProperties"]


def _payload(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml).find("DU_LIEU_HOC_BA"), method="c14n")


def _signature_ids(xml: bytes) -> list[str]:
    return [s.get("Id") for s in etree.fromstring(xml).iter(X.ds("Signature"))]


def _xmlsec1(path: pathlib.Path, node_id: str) -> subprocess.CompletedProcess:
    exe = shutil.which("xmlsec1")
    assert exe, "xmlsec1 is not installed (apt-get install xmlsec1)"
    return subprocess.run(
        [exe, "--verify", *XMLSEC_IDS, "--trusted-pem", str(FOLDER / "root-ca.pem"),
         "--untrusted-pem", str(FOLDER / "intermediate-ca.pem"), "--node-id", node_id,
         str(path)], capture_output=True, text=True, timeout=60)


def _cli(path: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hocbaso.cli", str(path), "--trusted",
         str(FOLDER / "root-ca.pem"), "--intermediate", str(FOLDER / "intermediate-ca.pem"),
         "--require-complete"], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", sorted(GEN.RECORDS))
def test_signed_content_is_what_the_code_builds(name):
    version, make = GEN.RECORDS[name]
    committed = (FOLDER / name).read_bytes()
    assert _payload(committed) == _payload(get_profile(version).build(make())), (
        "%s drifted from the current code: run python tools/gen_signed_samples.py" % name)


@pytest.mark.parametrize("name", sorted(GEN.RECORDS))
def test_every_signature_verifies_in_xmlsec1_and_hocbaso_verify(name):
    path = FOLDER / name
    ids = _signature_ids(path.read_bytes())
    assert {"sig-gvcn", "sig-cbql", "sig-phathanh"} <= set(ids) and len(ids) >= 6
    for node_id in ids:
        result = _xmlsec1(path, node_id)
        assert result.returncode == 0, "%s %s: %s" % (name, node_id, result.stderr)
    result = _cli(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HỢP LỆ (VALID)" in result.stdout


def test_a_changed_score_fails_both_verifiers(tmp_path):
    name = "hocbaso-1.0-secondary-signed.xml"
    xml = (FOLDER / name).read_bytes()
    root = etree.fromstring(xml)
    score = root.find("DU_LIEU_HOC_BA/DANH_SACH_DIEM/DIEM_TONG_KET/DIEM_CA_NAM")
    score.text = "10.0" if score.text != "10.0" else "9.0"
    tampered = tmp_path / name
    tampered.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert _xmlsec1(tampered, "sig-gvcn").returncode != 0
    assert _cli(tampered).returncode != 0


def test_the_generator_writes_verifiable_samples(tmp_path):
    GEN.write(tmp_path)
    for name in GEN.RECORDS:
        xml = (tmp_path / name).read_bytes()
        assert _payload(xml) == _payload((FOLDER / name).read_bytes())
        report = verify_document(xml, [_load(tmp_path / "root-ca.pem")],
                                 [_load(tmp_path / "intermediate-ca.pem")])
        assert report.valid and report.complete


def _load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())
