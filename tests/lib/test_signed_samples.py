"""The signed samples for integrators (data/samples/signed/): current to the byte, verified by
the real xmlsec1 and by hocbaso-verify, refused by both once a score is changed, and the
commands the READMEs show work as written."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
from cryptography import x509
from lxml import etree

from hocbaso.cli import ROLE_NAMES
from hocbaso.signing import xmldsig as X
from hocbaso.verify import verify_document

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDER = ROOT / "data" / "samples" / "signed"
RELATIVE = FOLDER.relative_to(ROOT)
SPEC = importlib.util.spec_from_file_location("gen_signed_samples",
                                              ROOT / "tools" / "gen_signed_samples.py")
GEN = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(GEN)
NAMES = sorted(GEN.RECORDS)
HAND_WRITTEN = {"README.md"}
REGENERATE = "run `python tools/gen_signed_samples.py` and commit data/samples/signed/"


def _signature_ids(xml: bytes) -> list[str]:
    return [s.get("Id") for s in etree.fromstring(xml).iter(X.ds("Signature"))]


def _expected_ids(name: str) -> list[str]:
    """Every slot of the record, in signing order: one GVBM per subject, then the others."""
    record = GEN.RECORDS[name][1]()
    return ([X.subject_signature_id(s.code) for s in record.subjects]
            + ["sig-gvcn", "sig-cbql", "sig-phathanh"])


SIGNATURES = [(name, sig_id) for name in NAMES
              for sig_id in _signature_ids((FOLDER / name).read_bytes())]


def _xmlsec1(path, node_id: str) -> subprocess.CompletedProcess:
    """One signature, in the form of tests/lib/dsig_fixtures.xmlsec1_verify and the READMEs:
    the Id attributes that signatures reference registered, the committed CA files given."""
    exe = shutil.which("xmlsec1")
    assert exe, "xmlsec1 is not installed: apt-get install xmlsec1 (the tests need the real tool)"
    return subprocess.run(
        [exe, "--verify",
         "--id-attr:Id", "DU_LIEU_HOC_BA",
         "--id-attr:Id", "THONG_TIN_HOC_BA",
         "--id-attr:Id", "DIEM_TONG_KET",
         "--id-attr:Id", X.DS_NS + ":Signature",
         "--trusted-pem", str(RELATIVE / "root-ca.pem"),
         "--untrusted-pem", str(RELATIVE / "intermediate-ca.pem"),
         "--node-id", node_id, str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)


def _cli(path) -> subprocess.CompletedProcess:
    """hocbaso-verify as a user runs it, from the repository root with relative paths."""
    return subprocess.run(
        [sys.executable, "-m", "hocbaso.cli", str(path),
         "--trusted", str(RELATIVE / "root-ca.pem"),
         "--intermediate", str(RELATIVE / "intermediate-ca.pem"), "--require-complete"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)


def _files(folder: pathlib.Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


# --- (a) the committed files are what the generator writes ------------------------------------
def test_committed_samples_are_what_the_generator_writes(tmp_path):
    GEN.write(tmp_path, keys=FOLDER / GEN.KEYS)
    written = _files(tmp_path)
    committed = {name: content for name, content in _files(FOLDER).items()
                 if name not in HAND_WRITTEN}
    assert {*GEN.RECORDS, "root-ca.pem", "intermediate-ca.pem"} <= set(written)
    assert sorted(committed) == sorted(written), (
        "data/samples/signed/ does not hold the files the generator writes: " + REGENERATE)
    drifted = [name for name in written if committed[name] != written[name]]
    assert not drifted, "%s drifted from the current code: %s" % (", ".join(drifted),
                                                                 REGENERATE)


def test_samples_are_a_tt27_and_a_tt22_record_valid_for_twenty_years():
    kinds = {etree.fromstring((FOLDER / name).read_bytes()).findtext(
        "DU_LIEU_HOC_BA/THONG_TIN_HOC_BA/THONG_TU") for name in NAMES}
    assert kinds == {"TT27", "TT22"}
    # CI must not start failing when the certificates expire: every one lasts until 2046
    certificates = [_load(FOLDER / "root-ca.pem"), _load(FOLDER / "intermediate-ca.pem")]
    for name in NAMES:
        for signature in etree.fromstring((FOLDER / name).read_bytes()).iter(X.ds("Signature")):
            certificates += X.signature_certificates(signature)
    assert len(certificates) == 2 + len(SIGNATURES)
    for certificate in certificates:
        assert certificate.not_valid_after_utc >= dt.datetime(2046, 1, 1, tzinfo=dt.timezone.utc)
        assert "test only" in certificate.issuer.rfc4514_string()


def test_new_keys_give_new_signatures_over_the_same_content(tmp_path):
    """Deleting pki/ (as the README says, to rotate the keys) still gives valid samples."""
    GEN.write(tmp_path, keys=tmp_path / "none")
    assert sorted(_files(tmp_path)) == sorted(set(_files(FOLDER)) - HAND_WRITTEN)
    roots = [_load(tmp_path / "root-ca.pem")]
    assert roots[0] != _load(FOLDER / "root-ca.pem")
    for name in NAMES:
        fresh, committed = (tmp_path / name).read_bytes(), (FOLDER / name).read_bytes()
        assert _payload(fresh) == _payload(committed)
        report = verify_document(fresh, roots, [_load(tmp_path / "intermediate-ca.pem")])
        assert report.valid and report.complete, report.errors
        # and the committed root does not vouch for the new signers
        assert not verify_document(fresh, [_load(FOLDER / "root-ca.pem")],
                                   [_load(FOLDER / "intermediate-ca.pem")]).valid


# --- (b) every signature verifies in xmlsec1 ---------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_slot_is_signed_in_order(name):
    assert _signature_ids((FOLDER / name).read_bytes()) == _expected_ids(name)


@pytest.mark.parametrize("name, node_id", SIGNATURES)
def test_xmlsec1_verifies_each_signature(name, node_id):
    result = _xmlsec1(RELATIVE / name, node_id)
    assert result.returncode == 0, "xmlsec1 refused %s of %s: %s" % (node_id, name,
                                                                     result.stderr)
    assert "OK" in result.stdout + result.stderr


# --- (c) hocbaso-verify accepts them, with all four roles -------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_hocbaso_verify_reports_every_role_valid(name):
    result = _cli(RELATIVE / name)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    ids = _expected_ids(name)
    for number, sig_id in enumerate(ids, 1):
        assert "Chữ ký %d (signature %d): %s — " % (number, number, sig_id) in out
    for role in X.SIGNING_ORDER:
        assert ROLE_NAMES[role] in out
    assert out.count("Chữ ký (signature): HỢP LỆ (valid)") == len(ids)
    assert out.count("Chứng thư số (certificate chain): HỢP LỆ (valid)") == len(ids)
    assert "Đủ chữ ký (complete): ĐỦ (yes)" in out
    assert "Lỗi (error)" not in out
    # the committed samples carry no timestamp: each signature's proven-time line says so
    # (the CLI leaves out the same fact as a warning), and there is no warning at all: every
    # signature names the record it was made for
    assert out.count("không chứng minh được (cannot be proven: no trusted timestamp)") \
        == len(ids)
    assert "Cảnh báo (warning)" not in out
    assert out.rstrip().endswith("Kết luận (result): HỢP LỆ (VALID)")


# --- (d) a changed score fails in both ---------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_a_changed_score_fails_both_verifiers(name, tmp_path):
    root = etree.fromstring((FOLDER / name).read_bytes())
    line, score = next((line, child)
                       for line in root.iterfind("DU_LIEU_HOC_BA/DANH_SACH_DIEM/DIEM_TONG_KET")
                       for child in line
                       if child.tag.startswith("DIEM_") and _number(child.text) is not None)
    value = _number(score.text)
    score.text = ("%.1f" if "." in score.text else "%d") % (value - 1 if value >= 1 else value + 1)
    tampered = tmp_path / name
    tampered.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    code = line.get("Id")[len("mon-"):]

    # the subject's teacher and every later signer covered that score...
    for node_id in (X.subject_signature_id(code), "sig-gvcn", "sig-cbql", "sig-phathanh"):
        result = _xmlsec1(tampered, node_id)
        assert result.returncode != 0, "xmlsec1 accepted %s after the change" % node_id
    # ...another subject's teacher did not: the copy itself is still readable by xmlsec1
    other = next(sig_id for sig_id in _expected_ids(name)
                 if sig_id.startswith("sig-gvbm-") and sig_id != X.subject_signature_id(code))
    assert _xmlsec1(tampered, other).returncode == 0

    result = _cli(tampered)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Toàn vẹn (document intact): KHÔNG (no)" in result.stdout
    assert "Kết luận (result): KHÔNG HỢP LỆ (INVALID)" in result.stdout


# --- the READMEs' commands, exactly as written --------------------------------------------------
def _readme_commands() -> list[tuple[str, str]]:
    folder_readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    main_readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = main_readme.partition("## The command-line verifier")[2].partition("\n## ")[0]
    blocks = []
    for where, text in (("data/samples/signed/README.md", folder_readme),
                        ("README.md", section)):
        blocks += [(where, block) for block in re.findall(r"```sh\n(.*?)```", text, re.S)
                   if str(RELATIVE) in block]
    return blocks


def test_the_readmes_show_both_checks():
    commands = "\n".join(block for _where, block in _readme_commands())
    for where in ("data/samples/signed/README.md", "README.md"):
        blocks = [block for place, block in _readme_commands() if place == where]
        assert any(b.startswith("hocbaso-verify ") for b in blocks), where
        assert any("xmlsec1 --verify" in b for b in blocks), where
    for name in NAMES:
        assert str(RELATIVE / name) in commands


@pytest.mark.parametrize("where, block", _readme_commands(),
                         ids=["%s-%d" % (where, number)
                              for number, (where, _block) in enumerate(_readme_commands())])
def test_readme_commands_work_as_written(where, block):
    env = dict(os.environ, PATH=os.pathsep.join((os.path.dirname(sys.executable),
                                                os.environ.get("PATH", ""))))
    # -e: the loop over the signatures stops, and fails, at the first one xmlsec1 refuses
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, "%s:\n%s\n%s" % (where, block, output)
    if "xmlsec1" in block:
        # one "References" line per signature checked: a loop checks every one of its file's
        checked = (sum(len(_expected_ids(name)) for name in NAMES if name in block)
                   if "for id in" in block else block.count("xmlsec1 --verify"))
        assert output.count("SignedInfo References (ok/all)") == checked, output
        assert "FAIL" not in output
    if "hocbaso-verify" in block:
        assert output.count("Kết luận (result): HỢP LỆ (VALID)") == block.count("hocbaso-verify")


def _payload(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml).find("DU_LIEU_HOC_BA"), method="c14n")


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())
