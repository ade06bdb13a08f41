"""Demo signing: a test PKI on disk, certificates for the demo staff, records in every state.

Test certificates only (``security.pki``, password 1234): never use them for real records.
"""

import base64
import contextlib
import logging
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from hocbaso.signing.pkcs12 import Pkcs12Signer
from hocbaso.signing.standins.common import launch, stop

_logger = logging.getLogger(__name__)

DEMO_SIGNERS = ("hieutruong", "phohieutruong", "vanthu", "gvcn_tieuhoc", "gvcn_thcs", "gv_toan",
                "gv_van", "gv_anh", "gv_khtn")
# state reached by record number i (i % 10); most records are issued
SPREAD = ("draft", "locked", "gvbm", "gvcn_signed", "leader_signed", "issued", "issued",
          "issued", "issued", "issued")
ORDER = ("locked", "gvbm", "gvbm_signed", "gvcn_signed", "leader_signed", "issued")


def _import_pki():

    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)
    from security import pki as pki_module

    return pki_module


def _personal_leaf(pki_module, pki, login, user, folder):
    spec = pki_module.LeafSpec(login, user.name, "CCCD:" + user.hocbaso_personal_id,
                               "demo: " + (user.hocbaso_title or login))
    cert, key = pki_module._leaf(spec, pki.now, pki.intermediate, pki.intermediate_key)
    p12 = pki_module._p12(spec, cert, key, [pki.intermediate, pki.root])
    (folder / f"{login}.p12").write_bytes(p12)
    (folder / f"{login}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, p12


@contextlib.contextmanager
def demo_tsa(folder, port):
    """The reference time-stamping authority (``hocbaso.signing.standins.tsa``) run as its own
    process on ``port`` with the demo PKI of ``folder``; yields its URL, stops it after."""
    proc, url = launch("hocbaso.signing.standins.tsa", "--port", str(port), "--pki-dir",
                       str(folder), cwd=Path(__file__).resolve().parents[2])
    try:
        yield url
    finally:
        stop(proc)


def sign_demo(env, result, pki_dir, tsa_port=None):
    """Sign the demo records; with ``tsa_port`` the school's time-stamping authority is the
    reference one on that port (started for the signing, and by bin/demo afterwards), so every
    demo signature carries a trusted timestamp."""
    pki_module = _import_pki()
    folder = Path(pki_dir)
    pki = pki_module.build_test_pki(folder)
    if tsa_port is None:
        return _sign_demo(env, result, pki_module, pki, folder)
    with demo_tsa(folder, tsa_port) as url:
        result["company"].sudo().write({"hocbaso_tsa_url": url, "hocbaso_tsa_required": True})
        return _sign_demo(env, result, pki_module, pki, folder)


def _sign_demo(env, result, pki_module, pki, folder):
    password = pki_module.TEST_PASSWORD
    company, users = result["company"], result["users"]
    Ca, Cert = env["hocbaso.trusted.ca"].sudo(), env["hocbaso.signing.certificate"].sudo()
    root_pem = pki.root.public_bytes(serialization.Encoding.PEM).decode()
    if not Ca.search([("pem", "=", root_pem)]):
        Ca.create(
            [
                # the root's own CRL too: at issuance the record keeps the revocation status
                # of every certificate of its chains (validation data)
                {"name": pki_module.ROOT_NAME, "pem": root_pem, "is_root": True,
                 "crl_file": base64.b64encode(
                     pki.root_crl.public_bytes(serialization.Encoding.DER))},
                {
                    "name": pki_module.INTERMEDIATE_NAME,
                    "is_root": False,
                    "pem": pki.intermediate.public_bytes(serialization.Encoding.PEM).decode(),
                    "crl_file": base64.b64encode(pki.crl.public_bytes(serialization.Encoding.DER)),
                },
            ]
        )

    def register(user, cert, p12, kind="personal"):
        return Cert.create({
            "company_id": company.id, "user_id": user.id if user else False, "kind": kind,
            "certificate_file": base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)),
            "certificate_filename": "certificate.pem", "backend": "pkcs12",
            "p12_file": base64.b64encode(p12), "p12_filename": "certificate.p12"})

    for login in DEMO_SIGNERS:  # the chatter needs an author address
        if not users[login].email:
            users[login].sudo().email = f"{users[login].login}@demo.invalid"
    certs, signers = {}, {}
    for login in DEMO_SIGNERS:
        user = users[login]
        cert, p12 = _personal_leaf(pki_module, pki, login, user, folder)
        certs[user] = register(user, cert, p12)
        signers[user] = Pkcs12Signer(p12, password)
    org_spec = pki_module.LeafSpec("school_demo", company.name, "MST:" + pki_module.SCHOOL_TAX_CODE,
                                   "demo: school seal", organisation=company.name)
    org_cert, org_key = pki_module._leaf(org_spec, pki.now, pki.intermediate, pki.intermediate_key)
    org_p12 = pki_module._p12(org_spec, org_cert, org_key, [pki.intermediate, pki.root])
    (folder / "school_demo.p12").write_bytes(org_p12)
    school_cert = register(False, org_cert, org_p12, kind="organisation")
    school_signer = Pkcs12Signer(org_p12, password)
    issuer, leader = users["vanthu"], users["hieutruong"]
    counts = {}
    try:
        records = result["records"].sorted("id")
        for index, record in enumerate(records):
            target = SPREAD[index % len(SPREAD)]
            _advance(record, target, users, certs, signers, school_cert, school_signer)
            counts[record.state] = counts.get(record.state, 0) + 1
        issued = records.filtered(lambda r: r.state == "issued")
        if len(issued) >= 2:
            revoked, corrected = issued[0], issued[1]
            revoked.with_user(issuer)._revoke_signed(
                "Ghi nhầm kết quả môn học; hồ sơ sẽ được lập lại.", school_signer, school_cert)
            homeroom = corrected.homeroom_teacher_id
            action = corrected.with_user(homeroom).action_create_correction()
            version2 = env["hocbaso.record"].browse(action["res_id"])
            version2.sudo().write({"homeroom_comment": (corrected.homeroom_comment or "")
                                   + " (Đính chính nhận xét.)"})
            _advance(version2, "issued", users, certs, signers, school_cert, school_signer)
            result["records"] |= version2
    finally:
        for signer in [*signers.values(), school_signer]:
            signer.close()
    _logger.info("Demo signing done: %s", counts)
    result.update({"certificates": certs, "school_certificate": school_cert, "pki": pki,
                   "leader": leader, "issuer": issuer})
    return result


def _advance(record, target, users, certs, signers, school_cert, school_signer):
    if target == "draft":
        return
    homeroom = record.homeroom_teacher_id
    if record.state == "draft":
        if not record.leader_id:
            record.sudo().write(
                {"leader_id": users["hieutruong"].id, "leader_title": "Hiệu trưởng"}
            )
        record.with_user(homeroom).action_lock()
    if target == "locked":
        return
    by_teacher = {}
    for line in record.line_ids.filtered(lambda item: not item.gvbm_signed):
        by_teacher.setdefault(line.teacher_id, []).append(line.subject_code)
    for number, (teacher, codes) in enumerate(by_teacher.items()):
        if target == "gvbm" and number == len(by_teacher) - 1 and len(by_teacher) > 1:
            return  # one subject teacher still to sign
        record.with_user(teacher)._sign("gvbm", signers[teacher], certs[teacher], codes)
    if target == "gvbm":
        return
    steps = (("gvcn", homeroom, "gvcn_signed"), ("cbql", users["hieutruong"], "leader_signed"),
             ("phathanh", users["vanthu"], "issued"))
    for role, user, state in steps:
        if role == "phathanh":
            record.with_user(user)._sign(role, school_signer, school_cert)
        else:
            record.with_user(user)._sign(role, signers[user], certs[user])
        if state == target:
            return
