"""Remote signing services (two-phase): the digest goes out, the signature comes back later."""

import base64

from hocbaso.signing.remote import RemoteSigningClient


class RemoteSession:
    """The remote backend of one certificate record, as the signing wizard uses it."""

    def __init__(self, certificate_record):
        cert = certificate_record.sudo()
        self.user_ref = cert.remote_user_ref
        self.client = RemoteSigningClient(cert.remote_url, cert.remote_api_key or "")

    def submit(self, prepared, record):
        """Send the digest of a prepared signature; returns the service's request id."""
        pending = prepared["pending"]
        try:
            return self.client.request_signature(
                self.user_ref, base64.b64decode(prepared["digest"]), pending["algorithm"],
                description="Hoc ba %s v%s (%s)" % (record.record_uuid, record.version,
                                                    pending["role"]))
        finally:
            self.client.close()

    def poll(self, request_id):
        """The signature bytes once approved, None while pending (errors raise)."""
        try:
            return self.client.fetch_signature(request_id)
        finally:
            self.client.close()


def client_for(certificate_record):
    return RemoteSession(certificate_record)
