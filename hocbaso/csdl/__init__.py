"""Sync with the sector database (CSDL ngành): protocol, client and a reference server.

No public MOET API exists, so :mod:`hocbaso.csdl.protocol` defines a small JSON-over-HTTPS
protocol modelled on the TTDLQG record envelope. A real endpoint can replace the reference
server behind the same :class:`hocbaso.csdl.client.CsdlClient` interface.
"""

from .protocol import EVENTS, MAX_BATCH, Receipt, SyncEnvelope

__all__ = ["EVENTS", "MAX_BATCH", "Receipt", "SyncEnvelope"]
