"""The school's time-stamping authority (RFC 3161): the library's client built from the
school's settings, its certificate checked against the school's trusted CAs."""

from hocbaso.errors import TimestampError
from hocbaso.signing.timestamp import TimestampClient

from .backends import trust_material

DEFAULT_TSA_TIMEOUT = 10


def tsa_client(env, company):
    """A TimestampClient for ``company``'s authority; None when the school set none. The
    authority's certificate must chain to the school's trusted CAs (hocbaso.trusted.ca)."""
    company = company.sudo()
    url = (company.hocbaso_tsa_url or "").strip()
    if not url:
        return None
    roots, intermediates, crls = trust_material(env, company)
    auth = (company.hocbaso_tsa_username, company.hocbaso_tsa_password or "") \
        if company.hocbaso_tsa_username else None
    return TimestampClient(url, roots, intermediates, crls,
                           timeout=company.hocbaso_tsa_timeout or DEFAULT_TSA_TIMEOUT, auth=auth)


class Stamper:
    """The timestamps of one signing run for one school.

    ``stamp`` is what ``sign_slots_made(timestamp=...)`` takes: the client's, or None when the
    school has no authority or it failed earlier in this run (the run does not wait for it
    again). ``failure`` keeps that first failure; ``unstamped`` the ids of the records signed
    without a timestamp although the school has an authority."""

    def __init__(self, client, required):
        self.client = client
        self.required = bool(required and client is not None)
        self.failure = None
        self.unstamped = set()

    @property
    def stamp(self):
        if self.client is None or self.failure is not None:
            return None
        return self.client.stamp

    def sign(self, sign):
        """``sign(timestamp=...)`` (a callable as sign_slots_made takes) with this run's
        timestamps: (its result, whether it is short of a timestamp the school wants). Raises
        the authority's TimestampError when timestamps are required and it failed, now or
        earlier in the run. Safe from the threads of hocbaso.signing.concurrent: the first
        failure is kept, the runs already waiting for the authority meet their own."""
        if self.required and self.failure is not None:  # a copy: threads raise their own
            raise TimestampError(self.failure.template, **self.failure.params)
        stamp = self.stamp
        if stamp is not None:
            try:
                return sign(timestamp=stamp), False
            except TimestampError as error:
                self.failure = self.failure or error
                if self.required:
                    raise
        return sign(timestamp=None), self.client is not None
