"""Học bạ số signing agent: the teacher's own PC signs, on its USB token, the SHA-256 digests
that the school's Odoo server prepared, after one PIN for the whole batch.

It listens on 127.0.0.1 only and answers HTTP+JSON to the Odoo origins it was started with.
It has no dependency on Odoo nor on the ``hocbaso`` library: only python-pkcs11 and
cryptography.
"""

NAME = "hocbaso-agent"
__version__ = "1.0.0"
DEFAULT_PORT = 8987
