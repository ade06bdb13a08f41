"""Throwaway SoftHSM2 tokens for tests and benchmarks, loaded with a test PKI key + certificate.

    token = create_token("gvcn-token", leaf.key, leaf.certificate)
    signer = Pkcs11Signer(token.module_path, token.token_label, token.pin)

SoftHSM2 reads its configuration file (``SOFTHSM2_CONF``) when the library is first loaded in
a process, and lists the tokens present at ``C_Initialize``. So:

* the first ``create_token`` of a process points ``SOFTHSM2_CONF`` (in ``os.environ``) at a
  private temporary folder; this must happen before anything in the process loads
  libsofthsm2.so, or ``SoftHsmError`` is raised;
* a token added after the library was loaded is made visible by re-initialising the library,
  which closes every PKCS#11 session of the process: create all tokens first, then sign.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

MODULE_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",  # Debian, Ubuntu
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",  # Fedora, RHEL
    "/usr/local/lib/softhsm/libsofthsm2.so",  # built from source
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",  # macOS
)
INSTALL_HINT = "SoftHSM2 is not installed: apt-get install softhsm2"


class SoftHsmError(RuntimeError):
    pass


class SoftToken(NamedTuple):
    module_path: str
    token_label: str
    pin: str


_state: dict = {}
_lock = threading.Lock()


def find_module() -> str:
    """Path of libsofthsm2.so; SoftHsmError with the install command when absent."""
    for path in MODULE_PATHS:
        if os.path.exists(path):
            return path
    raise SoftHsmError(INSTALL_HINT + " (libsofthsm2.so not found in %s)" % ", ".join(MODULE_PATHS))


def _util() -> str:
    exe = shutil.which("softhsm2-util")
    if not exe:
        raise SoftHsmError(INSTALL_HINT + " (softhsm2-util not found on PATH)")
    return exe


def token_directory() -> Path:
    """The process's token folder; sets SOFTHSM2_CONF on first use (see the module docstring)."""
    with _lock:
        if "conf" not in _state:
            module = find_module()
            if _library_loaded(module):
                raise SoftHsmError("libsofthsm2.so was loaded in this process before the test "
                                   "token folder was set up; create SoftHSM2 test tokens before "
                                   "opening any PKCS#11 session.")
            base = Path(tempfile.mkdtemp(prefix="hocbaso-softhsm-"))
            atexit.register(shutil.rmtree, base, ignore_errors=True)
            (base / "tokens").mkdir()
            conf = base / "softhsm2.conf"
            conf.write_text("directories.tokendir = %s\nobjectstore.backend = file\n"
                            "log.level = ERROR\nslots.removable = false\n" % (base / "tokens"))
            os.environ["SOFTHSM2_CONF"] = str(conf)
            _state["conf"] = conf
        return _state["conf"].parent / "tokens"


def _library_loaded(module: str) -> bool:
    try:
        import pkcs11
    except ImportError:
        return False
    return module in getattr(pkcs11, "_loaded", {})


def create_token(label: str, key=None, certificate: x509.Certificate | None = None,
                 pin: str = "1234", so_pin: str = "5678",
                 key_label: str = "signing") -> SoftToken:
    """A new token ``label`` holding ``key`` (RSA or EC, private key object) and ``certificate``
    under ``key_label`` (same CKA_ID on both). Returns (module_path, token_label, pin)."""
    module = find_module()
    token_directory()
    result = subprocess.run(
        [_util(), "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
        capture_output=True, text=True, timeout=60, env=os.environ.copy())
    if result.returncode != 0:
        raise SoftHsmError("softhsm2-util --init-token failed: %s"
                           % (result.stderr or result.stdout).strip())
    import pkcs11

    was_loaded = _library_loaded(module)
    lib = pkcs11.lib(module)
    if was_loaded:  # SoftHSM2 lists tokens at C_Initialize only
        lib.reinitialize()
    if key is not None or certificate is not None:
        session = lib.get_token(token_label=label).open(user_pin=pin, rw=True)
        try:
            _import_objects(pkcs11, session, key, certificate, key_label)
        finally:
            session.close()
    return SoftToken(module, label, pin)


def _import_objects(pkcs11, session, key, certificate, key_label) -> None:
    Attribute, ObjectClass = pkcs11.Attribute, pkcs11.ObjectClass
    key_id = b"\x01" + key_label.encode()[:15]
    common = {Attribute.TOKEN: True, Attribute.LABEL: key_label, Attribute.ID: key_id}
    if isinstance(key, rsa.RSAPrivateKey):
        der = key.private_bytes(serialization.Encoding.DER,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
        attrs = pkcs11.util.rsa.decode_rsa_private_key(der)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        der = key.private_bytes(serialization.Encoding.DER,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
        attrs = pkcs11.util.ec.decode_ec_private_key(der)
        attrs[Attribute.SIGN] = True
    elif key is None:
        attrs = None
    else:
        raise SoftHsmError("only RSA and EC keys can be imported")
    if attrs is not None:
        attrs.update(common)
        attrs.update({Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                      Attribute.EXTRACTABLE: False, Attribute.DECRYPT: False})
        session.create_object(attrs)
    if certificate is not None:
        session.create_object({
            **common,
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
            Attribute.SUBJECT: certificate.subject.public_bytes(),
            Attribute.ISSUER: certificate.issuer.public_bytes(),
            Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
        })
