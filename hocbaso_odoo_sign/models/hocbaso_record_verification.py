"""The outcome of verifying a record's signatures, kept by what it depends on.

A signed document never changes (a new signature makes new bytes), so a verification holds
for as long as the document's SHA-256 and the trust material (the trusted CAs and their
revocation lists) it was checked against stay the same. A record form shows the kept outcome
instead of verifying every signature again on each open; a document whose bytes differ (a new
signature, or tampering) or a changed trusted list or CRL is verified afresh.

The hash is taken from the bytes read at that moment, never from the record's stored
``xml_sha256``: a document altered behind the ORM is verified again.
"""

import datetime as dt
import hashlib
import json

from odoo import api, fields, models

from hocbaso.errors import Problem
from hocbaso.timeutil import now_utc

from ..tools import trust_material, trust_version

# Bump when the verifier's rules change: the results kept under the old rules are then
# ignored (they are part of the key, with the document and the trust material).
# 2: a signature with a trusted timestamp is judged at the time the timestamp proves.
VERIFIER_REVISION = "2"


def _problem(value):
    """A report's entry as a Problem (a plain text is kept as its parameter, so no '%' in it
    is read as a placeholder)."""
    return value if isinstance(value, Problem) else Problem("%(detail)s", detail=str(value))


class HocbasoRecordVerification(models.Model):
    _name = "hocbaso.record.verification"
    _description = "Kept Signature Verification"
    _log_access = False

    record_id = fields.Many2one("hocbaso.record", required=True, readonly=True, index=True,
                                ondelete="cascade")
    document_sha256 = fields.Char(string="Document SHA-256", required=True, readonly=True)
    trust_version = fields.Char(required=True, readonly=True,
                                help="Fingerprint of the trusted CAs and CRLs checked against.")
    valid = fields.Boolean(readonly=True)
    complete = fields.Boolean(readonly=True)
    signature_count = fields.Integer(readonly=True)
    problems = fields.Json(readonly=True)
    missing = fields.Json(readonly=True)
    verified_on = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("record_document_trust_unique", "unique(record_id, document_sha256, trust_version)",
         "A record's document is verified once per trust material."),
    ]

    @api.model
    def _outcomes(self, records):
        """{record id: outcome dict (valid, complete, signature_count, problems, missing)} for
        the records of ``records`` that hold a document: kept, or verified now and kept."""
        from hocbaso.verify import verify_document

        cr = self.env.cr
        versions, material, outcomes = {}, {}, {}
        for record in records.sudo():
            xml = record._get_xml()
            if not xml:
                continue
            company = record.company_id
            if company not in versions:
                versions[company] = self._trust_key(company)
            digest = hashlib.sha256(xml).hexdigest()
            cr.execute("""SELECT valid, complete, signature_count, problems, missing
                            FROM hocbaso_record_verification
                           WHERE record_id = %s AND document_sha256 = %s
                             AND trust_version = %s""", [record.id, digest, versions[company]])
            row = cr.fetchone()
            if row:
                outcomes[record.id] = dict(zip(
                    ("valid", "complete", "signature_count", "problems", "missing"), row))
                continue
            if company not in material:
                material[company] = trust_material(self.env, company)
            report = verify_document(xml, *material[company])
            outcome = self._outcome_of(report)
            outcomes[record.id] = outcome
            # kept only when the trust material did not change while it was read, and when
            # the outcome cannot change with time alone
            if self._trust_key(company) == versions[company] and self._timeless(report):
                self._keep(record, digest, versions[company], outcome)
        return outcomes

    @api.model
    def _trust_key(self, company):
        return hashlib.sha256(
            f"{VERIFIER_REVISION}:{trust_version(self.env, company)}".encode()).hexdigest()

    @staticmethod
    def _outcome_of(report):
        problems = [_problem(error) for error in report.errors]
        for signature in report.signatures:
            problems.extend(_problem(error) for error in signature.errors)
        return {
            "valid": report.valid, "complete": report.complete,
            "signature_count": len(report.signatures),
            "problems": [problem.to_data() for problem in problems[:20]],
            "missing": [_problem(label).to_data() for label in report.missing],
        }

    @staticmethod
    def _timeless(report):
        """Whether the report is the same at any later moment: every signature (if any) names its
        signing time (certificates and revocations are judged at that time, or at the time
        its trusted timestamp proves) and neither is in the future (a time after the
        verification time is a problem only until then)."""
        now = now_utc() + dt.timedelta(minutes=1)
        return all(
            signature.signing_time is not None and signature.signing_time <= now
            and (signature.timestamp_time is None or signature.timestamp_time <= now)
            for signature in report.signatures)

    def _keep(self, record, digest, version, outcome):
        """Store the outcome (not on a read-only cursor: a replica serves the read, and the
        next read on the primary keeps it); one row per record, the older ones dropped."""
        cr = self.env.cr
        if cr.readonly:
            return
        cr.execute("""DELETE FROM hocbaso_record_verification
                       WHERE record_id = %s AND (document_sha256 != %s OR trust_version != %s)""",
                   [record.id, digest, version])
        cr.execute("""INSERT INTO hocbaso_record_verification
                          (record_id, document_sha256, trust_version, valid, complete,
                           signature_count, problems, missing, verified_on)
                      VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC')
                      ON CONFLICT (record_id, document_sha256, trust_version) DO NOTHING""",
                   [record.id, digest, version, outcome["valid"], outcome["complete"],
                    outcome["signature_count"], json.dumps(outcome["problems"]),
                    json.dumps(outcome["missing"])])
        self.invalidate_model()

    @api.model
    def _keep_report(self, record, xml, report, company_key=None):
        """Keep a report the caller made from ``xml`` against the current trust material (the
        verification wizard's)."""
        version = company_key or self._trust_key(record.company_id)
        if self._timeless(report):
            self._keep(record, hashlib.sha256(xml).hexdigest(), version,
                       self._outcome_of(report))

    @staticmethod
    def _problems(outcome):
        return [Problem.from_data(data) for data in outcome.get("problems") or []]
