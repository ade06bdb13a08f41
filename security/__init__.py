"""Threat model and test tooling: the test PKI (``security.pki``) and SoftHSM2 tokens
(``security.softhsm``). Plain Python, importable without Odoo; never used in production."""
