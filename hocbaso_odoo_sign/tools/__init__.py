from .backends import load_certificate, open_signer, trust_material, trust_version
from .revocation import build_revocation_statement, sign_statement, timestamp_statement, \
    verify_statement
from .timestamps import Stamper, tsa_client
