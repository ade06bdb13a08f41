"""hocbaso-verify: readable lines and exit codes 0 (valid), 1 (invalid), 2 (usage/IO)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import subprocess
import sys
import zipfile

import pytest
from dsig_fixtures import NOW, make_pki, pem, record_and_xml, sign_all, sign_subjects

from hocbaso.cli import main

SIGNING_TIME = NOW - dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def pki():
    return make_pki()


@pytest.fixture(scope="module")
def files(pki, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    record, xml = record_and_xml()
    signed = sign_all(xml, record, pki, signing_time=SIGNING_TIME)
    (folder / "signed.xml").write_bytes(signed)
    tampered = signed.replace(b"<TEN_MON_HOC>To\xc3\xa1n</TEN_MON_HOC>",
                              b"<TEN_MON_HOC>To\xc3\xa1n h\xe1\xbb\x8dc</TEN_MON_HOC>")
    assert tampered != signed
    (folder / "tampered.xml").write_bytes(tampered)
    (folder / "partial.xml").write_bytes(sign_subjects(xml, record, pki, codes={"TOAN"},
                                                       signing_time=SIGNING_TIME))
    with zipfile.ZipFile(folder / "package.zip", "w") as archive:
        archive.writestr("record.xml", signed)
    (folder / "root.pem").write_bytes(pem(pki.root))
    (folder / "intermediate.pem").write_bytes(pem(pki.intermediate))
    return folder


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _trust(files):
    return ["--trusted", files / "root.pem", "--intermediate", files / "intermediate.pem"]


def test_valid_record_exits_0_with_readable_lines(capsys, files):
    code, out, _ = _run(capsys, files / "signed.xml", *_trust(files))
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "Tệp (file): %s" % (files / "signed.xml")
    assert "Chữ ký 1 (signature 1): sig-gvbm-TV — Giáo viên bộ môn TV " \
           "(subject teacher (GVBM) of TV)" in lines
    assert "  Người ký (signer): Lê Thị Minh Nguyệt, số định danh (personal ID) 001186004521" \
        in lines
    local = (SIGNING_TIME + dt.timedelta(hours=7)).strftime("%d/%m/%Y %H:%M:%S")
    assert "  Thời điểm ký (signing time): %s (giờ Việt Nam)" % local in lines
    assert "  Người ký (signer): Trường Tiểu học Kim Đồng, MST (tax code) 0101234567" in lines
    assert sum(line.startswith("  Chứng thư số (certificate chain): HỢP LỆ (valid)")
               for line in lines) == 13
    assert lines[-4:] == [
        "Toàn vẹn (document intact): CÓ (yes)",
        "Thứ tự ký (signing order): ĐÚNG (respected)",
        "Đủ chữ ký (complete): ĐỦ (yes)",
        "Kết luận (result): HỢP LỆ (VALID)",
    ]


def test_tampered_record_exits_1(capsys, files):
    code, out, _ = _run(capsys, files / "tampered.xml", *_trust(files))
    assert code == 1
    assert "Toàn vẹn (document intact): KHÔNG (no)" in out
    assert "  Lỗi (error): The record's content was changed after signing." in out
    assert out.rstrip().endswith("Kết luận (result): KHÔNG HỢP LỆ (INVALID)")


def test_untrusted_or_incomplete_exit_1(capsys, files):
    code, out, _ = _run(capsys, files / "signed.xml")  # no --trusted: trust cannot be shown
    assert code == 1 and "not checked: no trusted root certificate was given" in out
    code, out, _ = _run(capsys, files / "partial.xml", *_trust(files))
    assert code == 0 and "Đủ chữ ký (complete): THIẾU (missing):" in out
    code, out, _ = _run(capsys, files / "partial.xml", *_trust(files), "--require-complete")
    assert code == 1


def test_package_json_and_at(capsys, files):
    code, out, _ = _run(capsys, files / "package.zip", *_trust(files), "--json")
    data = json.loads(out)
    assert code == 0 and data["valid"] and data["source"] == "record.xml"
    assert len(data["signatures"]) == 13 and data["signatures"][-1]["tax_code"] == "0101234567"
    # a verification time before the signing time: the signing time is "in the future"
    code, out, _ = _run(capsys, files / "signed.xml", *_trust(files),
                        "--at", (NOW - dt.timedelta(days=2)).isoformat())
    assert code == 1 and "later than the verification time" in out


def test_usage_and_io_errors_exit_2(capsys, files, tmp_path):
    code, _, err = _run(capsys, tmp_path / "missing.xml")
    assert code == 2 and "cannot read" in err
    code, _, err = _run(capsys, files / "signed.xml", "--trusted", files / "signed.xml")
    assert code == 2 and "is not a PEM or DER certificate" in err
    code, _, err = _run(capsys, files / "signed.xml", "--at", "yesterday")
    assert code == 2 and "ISO 8601" in err
    code, _, _ = _run(capsys, "--bogus")
    assert code == 2


def test_installed_command_runs(files):
    script = pathlib.Path(sys.executable).with_name("hocbaso-verify")
    assert script.exists(), "hocbaso-verify is not installed: pip install -e /work/main"
    result = subprocess.run([str(script), str(files / "signed.xml"), "--trusted",
                             str(files / "root.pem"), "--intermediate",
                             str(files / "intermediate.pem")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Kết luận (result): HỢP LỆ (VALID)" in result.stdout
    broken = subprocess.run([str(script), str(files / "tampered.xml")], capture_output=True,
                            text=True, timeout=60)
    assert broken.returncode == 1
