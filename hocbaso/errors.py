"""Errors raised by the plain-Python layer.

Each error carries an English message template with %(name)s fields and its parameters,
so the Odoo layer can translate the template with ``_()`` (the templates have entries in
the addons' i18n/vi.po) and the command line can print it as is.
"""


class HocbasoError(Exception):
    """Base class. ``template`` is the untranslated message, ``params`` fill it in."""

    template = "%(detail)s"
    # the clerk-readable lines of a document's problems, when there are several (XsdError)
    errors = ()

    def __init__(self, template=None, **params):
        if template is not None:
            self.template = template
        self.params = params
        super().__init__(self.message)

    @property
    def message(self):
        try:
            return self.template % self.params
        except (KeyError, TypeError, ValueError):
            return self.template

    def translated(self, translate):
        """Message rendered through ``translate`` (e.g. Odoo's ``_``)."""
        try:
            return translate(self.template) % self.params
        except (KeyError, TypeError, ValueError):
            return self.message


class Problem(str):
    """A problem as a report lists it: its English text, keeping its template and parameters
    (from an error, or given here) so the Odoo layer can show it in the user's language; a
    verifier reports problems instead of raising them. A parameter may itself be a Problem
    (a role's label), translated in turn."""

    def __new__(cls, source, **params):
        if isinstance(source, HocbasoError):
            template, params = source.template, source.params
        else:
            template = source
        try:
            text = template % params
        except (KeyError, TypeError, ValueError):
            text = template
        problem = super().__new__(cls, text)
        problem.template, problem.params = template, params
        return problem

    @property
    def message(self):
        return str(self)

    def to_data(self):
        """The template and parameters as JSON-ready data (a stored report, a kept verification
        result): :meth:`from_data` makes the Problem again, to be shown in the reader's language,
        not the writer's."""
        params = {}
        for key, value in self.params.items():
            if isinstance(value, Problem):
                params[key] = value.to_data()
            elif value is None or isinstance(value, (bool, int, float)):
                params[key] = value
            else:
                params[key] = str(value)
        return {"template": self.template, "params": params}

    @classmethod
    def from_data(cls, data):
        """The Problem ``to_data`` gave; a plain string stays a string."""
        if not isinstance(data, dict):
            return data
        params = {key: cls.from_data(value) for key, value in (data.get("params") or {}).items()}
        return cls(str(data.get("template", "")), **params)


class InvalidValueError(HocbasoError):
    """A field value breaks a rule (ID format, score range, level code...)."""


class UnsafeXmlError(HocbasoError):
    """XML refused before parsing: DTD, entities, size, not well-formed."""


class SchemaValidationError(HocbasoError):
    """XML that does not follow the profile's XSD. ``errors`` lists clerk-readable lines."""

    def __init__(self, template=None, errors=(), **params):
        self.errors = list(errors)
        params.setdefault("detail", "; ".join(self.errors))
        super().__init__(template, **params)


class SigningError(HocbasoError):
    """A signature could not be made: wrong PIN, key/certificate mismatch, backend failure."""


class RemoteSigningError(SigningError):
    """A remote signing provider refused, expired, or could not be reached."""


class TimestampError(SigningError):
    """A time-stamping authority could not be reached, refused, or gave a token that does not
    check (another hash or nonce, an untrusted authority, a damaged or forged token)."""


class ValidationDataError(SigningError):
    """Validation data (certificate chains, CRLs, OCSP responses) could not be gathered or
    kept: an OCSP responder unreachable or refusing, a forged or unrelated answer, a
    certificate revoked or unknown, or a record that cannot take the data."""


class CertificateError(HocbasoError):
    """A certificate is expired, not yet valid, revoked, untrusted or of the wrong kind."""


class CertificatePurposeError(CertificateError):
    """A certificate that is not meant to sign records: a CA's, an encryption-only or TLS one,
    a personal one where the school's seal is needed."""


class VerificationError(HocbasoError):
    """A signed document does not verify."""


class CsdlError(HocbasoError):
    """The sector database refused or could not be reached. ``transient`` says if a retry may
    help."""

    transient = False
    # what the exchange told us, when it got that far (hocbaso.csdl.client fills them): the
    # receipts of the records stored before the refusal, the record refused, the wait asked for
    receipts = ()
    id_ban_ghi = None
    retry_after = None

    def __init__(self, template=None, transient=None, **params):
        if transient is not None:
            self.transient = transient
        super().__init__(template, **params)
