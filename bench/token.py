"""A throwaway SoftHSM2 token for the benchmark, holding an RSA-2048 key and its certificate.

    signer = softhsm_signer()            # a hocbaso Signer (Pkcs11Signer) on a fresh token
    signer.token                         # (module_path, token_label, pin) of that token
    signer.close()

The token lives in a private temporary folder (security.softhsm points SOFTHSM2_CONF there
the first time; the folder is removed at exit). SoftHSM2 lists its tokens when the library is
initialised, so create every token of the process before signing on any of them (see
security/softhsm.py). Needs the softhsm2 Debian package and python-pkcs11.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # security/ lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

_labels = itertools.count(1)


def self_signed(key, common_name="Hocbaso benchmark token – not for production"):
    """A one-year self-signed signing certificate for ``key``."""
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))


def create_softhsm_token(key=None, certificate=None, label=None, key_label="signing"):
    """A new SoftHSM2 token with ``key`` and ``certificate`` (both made when not given).

    Returns (security.softhsm.SoftToken, certificate).
    """
    from security import softhsm

    if key is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if certificate is None:
        certificate = self_signed(key)
    label = label or f"hb-bench-{os.getpid()}-{next(_labels)}"
    token = softhsm.create_token(label, key, certificate, key_label=key_label)
    return token, certificate


def softhsm_signer(key=None, certificate=None, label=None, key_label="signing"):
    """A hocbaso Signer (Pkcs11Signer) on a new SoftHSM2 token with an RSA-2048 key.

    The signer carries ``token`` (module path, label, PIN); close() it when done.
    """
    from hocbaso.signing.pkcs11 import Pkcs11Signer

    token, certificate = create_softhsm_token(key, certificate, label, key_label)
    signer = Pkcs11Signer(token.module_path, token.token_label, token.pin, key_label=key_label,
                          cert=certificate)
    signer.token = token
    return signer
