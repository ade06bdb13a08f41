# The checks of bin/restore-drill: it pipes this file into `odoo-bin shell` on the RESTORED
# copy of a school's database (`env` is given). Parameters come in environment variables:
#   HOCBASO_DRILL_WORK            a private scratch folder (removed by bin/restore-drill)
#   HOCBASO_DRILL_RESULT          where to write the figures and failures (JSON)
#   HOCBASO_DRILL_SOURCE, _BACKUP the source database and the backup folder, for the summary
#   HOCBASO_DRILL_CSDL_SNAPSHOT   the reference CSDL's SQLite file as it was at backup time,
#                                 or empty: the drill's CSDL then starts from what the restored
#                                 outbox says was acknowledged
#   HOCBASO_DRILL_XMLSEC_SAMPLE   how many signatures xmlsec1 checks, drawn at random (0: all)
# It prints a summary and never raises on a failed check: each becomes a line of the report.
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from lxml import etree

from odoo import fields
from odoo.tools import split_every

from hocbaso.csdl.client import CsdlClient
from hocbaso.csdl.protocol import STATUS_IGNORED_STALE
from hocbaso.csdl.testing import CsdlServerProcess
from hocbaso.safexml import parse_untrusted

CHUNK = 200  # records per batch: a document is tens of KB, a school has thousands
MAX_SYNC_RUNS = 10  # cron runs to empty the outbox (each sends up to 20 batches)
FAILURES_SHOWN = 25
XMLSEC_TIMEOUT = 60
DUE = ("pending", "retrying", "sending")
# every figure of the report, 0 when nothing was counted (a reader need not guess a default)
FIGURES = (
    "files", "files_present", "files_intact", "records", "hashes_match", "signatures",
    "signatures_valid", "xmlsec_checked", "xmlsec_valid", "revocations", "revocations_valid",
    "outbox_acknowledged", "outbox_pending", "outbox_retrying", "outbox_sending",
    "outbox_failed", "outbox_documents", "outbox_documents_intact", "csdl_seeded", "cron_runs",
    "csdl_versions", "sent", "arrived", "already_held", "stored_twice", "sent_again",
    "duplicates")


class Drill:
    def __init__(self, env):
        self.env = env
        self.work = Path(os.environ["HOCBASO_DRILL_WORK"])
        self.snapshot = os.environ.get("HOCBASO_DRILL_CSDL_SNAPSHOT") or ""
        self.sample = int(os.environ.get("HOCBASO_DRILL_XMLSEC_SAMPLE") or 0)
        self.failures = []
        self.notes = []
        self.figures = Counter(dict.fromkeys(FIGURES, 0))
        self.csdl_holdings = {}  # what the drill's CSDL holds at the end, by id_ban_ghi
        self.outbox = []  # the outbox entries after the resume

    def fail(self, message):
        self.failures.append(message)

    # --- filestore ----------------------------------------------------------------------------
    def check_filestore(self):
        """Every stored file an attachment refers to is where Odoo looks and has its bytes."""
        Attachment = self.env["ir.attachment"]
        # SQL: the ORM hides the attachments of binary fields (res_field), the bulk of them
        self.env.cr.execute("SELECT id, res_model, res_id, store_fname, checksum "
                            "FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY id")
        for att_id, model, res_id, fname, checksum in self.env.cr.fetchall():
            self.figures["files"] += 1
            where = f"attachment {att_id} ({model or '-'} {res_id or '-'}, {fname})"
            digest = hashlib.sha1()
            try:
                with open(Attachment._full_path(fname), "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):  # noqa: B023
                        digest.update(block)
            except FileNotFoundError:
                self.fail(f"filestore: the file of {where} is missing")
                continue
            self.figures["files_present"] += 1
            if checksum and digest.hexdigest() != checksum:
                self.fail(f"filestore: the file of {where} does not match its checksum")
            else:
                self.figures["files_intact"] += 1

    # --- records and signatures ----------------------------------------------------------------
    def check_records(self):
        """Hash, signatures (the product's verifier) and the signature log of every record
        with a stored document; returns the signatures for xmlsec1."""
        env = self.env
        if "hocbaso.record" not in env:
            self.notes.append("no hocbaso.record model: no record to check")
            return []
        env.cr.execute("SELECT id FROM hocbaso_record "
                       "WHERE xml_document IS NOT NULL OR xml_sha256 IS NOT NULL ORDER BY id")
        ids = [row[0] for row in env.cr.fetchall()]
        Record = env["hocbaso.record"].sudo().with_context(active_test=False)
        signing = hasattr(Record, "_verify_report")
        if not signing:
            self.notes.append("hocbaso_odoo_sign is not installed: signatures not checked")
        to_xmlsec = []
        for chunk in split_every(CHUNK, ids):
            records = Record.browse(chunk)
            logged = self._signature_log(records) if signing else {}
            for record in records:
                to_xmlsec += self._check_record(record, logged.get(record.id, set()), signing)
            env.invalidate_all()  # let the documents of this chunk go
        return to_xmlsec

    def _signature_log(self, records):
        """{record id: signature ids the log says the document carries}."""
        logged = {}
        rows = self.env["hocbaso.record.signature"].sudo().search_read(
            [("record_id", "in", records.ids), ("role", "!=", "revocation"),
             ("withdrawn_on", "=", False)], ["record_id", "signature_ref"])
        for row in rows:
            logged.setdefault(row["record_id"][0], set()).add(row["signature_ref"])
        return logged

    def _check_record(self, record, logged, signing):
        self.figures["records"] += 1
        label = f"record {record.id} ({record.record_uuid} v{record.version}, {record.state})"
        xml = record._get_xml()
        if not xml:
            self.fail(f"{label}: a hash is stored but no document")
            return []
        if hashlib.sha256(xml).hexdigest() != record.xml_sha256:
            self.fail(f"{label}: the SHA-256 of the document does not match the stored hash")
        else:
            self.figures["hashes_match"] += 1
        if not signing:
            return []
        # exactly what the "Verify signatures" wizard runs, trusted CAs from the database
        report = record._verify_report()
        found = {signature.signature_id for signature in report.signatures}
        if found != logged:
            self.fail(f"{label}: the document carries signatures {sorted(found)}, the signature "
                      f"log {sorted(logged)}")
        for signature in report.signatures:
            self.figures["signatures"] += 1
            if signature.valid:
                self.figures["signatures_valid"] += 1
            else:
                self.fail(f"{label}: signature {signature.signature_id} does not verify: "
                          + "; ".join(map(str, signature.errors or [signature.chain_result])))
        if report.signatures and not report.valid:
            problems = [str(error) for error in report.errors]
            problems += [] if report.intact else ["not intact"]
            problems += [] if report.order_ok else ["signatures out of order"]
            if problems:
                self.fail(f"{label}: " + "; ".join(problems))
        if record.revocation_statement:
            from odoo.addons.hocbaso_odoo_sign.tools import verify_statement

            self.figures["revocations"] += 1
            ok, errors, _cert = verify_statement(record._get_revocation_statement())
            if ok:
                self.figures["revocations_valid"] += 1
            else:
                self.fail(f"{label}: the revocation statement does not verify: "
                          + "; ".join(map(str, errors)))
        return [(record.id, record.company_id.id, signature.signature_id, signature.signing_time)
                for signature in report.signatures]

    # --- xmlsec1: an implementation that shares no code with ours ------------------------------
    def check_xmlsec(self, candidates):
        exe = shutil.which("xmlsec1")
        if not candidates:
            return
        if not exe:
            self.fail("xmlsec1 is not installed (apt-get install xmlsec1)")
            return
        chosen = candidates
        if self.sample and self.sample < len(candidates):
            chosen = random.Random().sample(candidates, self.sample)
        Record = self.env["hocbaso.record"].sudo()
        documents, trust, jobs = {}, {}, []
        folder = self.work / "xmlsec"
        folder.mkdir()
        for record_id, company_id, signature_id, signing_time in chosen:
            if record_id not in documents:
                documents[record_id] = self._write_document(Record.browse(record_id), folder)
            if company_id not in trust:
                trust[company_id] = self._write_trust(company_id, folder)
            path, id_attributes = documents[record_id]
            command = [exe, "--verify", *id_attributes, "--node-id", signature_id,
                       *trust[company_id]]
            if signing_time:
                # certificates are judged at the signing time, as hocbaso.verify does: one that
                # expired since must not fail an old record (xmlsec1 reads it as local time)
                command += ["--verification-time", signing_time.strftime("%Y-%m-%d %H:%M:%S")]
            jobs.append((record_id, signature_id, command + [str(path)]))
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            for record_id, signature_id, result in pool.map(self._xmlsec, jobs):
                self.figures["xmlsec_checked"] += 1
                if result.returncode == 0:
                    self.figures["xmlsec_valid"] += 1
                else:
                    # its reason is on an "error=N:" line, the last line only says FAIL
                    reasons = re.findall(r"error=\d+:(.*)", result.stderr) or \
                        (result.stderr.strip().splitlines() or ["no output"])[-1:]
                    self.fail(f"record {record_id}: xmlsec1 refuses signature {signature_id}: "
                              f"{reasons[0]}")

    @staticmethod
    def _xmlsec(job):
        record_id, signature_id, command = job
        result = subprocess.run(command, capture_output=True, text=True, timeout=XMLSEC_TIMEOUT,
                                env={**os.environ, "TZ": "UTC"})
        return record_id, signature_id, result

    @staticmethod
    def _write_document(record, folder):
        """The document on disk and the --id-attr flags for every element carrying an Id
        (xmlsec1 resolves "#id" references only for the elements it is told about)."""
        xml = record._get_xml()
        path = folder / f"record-{record.id}.xml"
        path.write_bytes(xml)
        names = set()
        for element in parse_untrusted(xml).iter(etree.Element):
            if element.get("Id") is not None:
                name = etree.QName(element)
                names.add(f"{name.namespace}:{name.localname}" if name.namespace
                          else name.localname)
        return path, [flag for name in sorted(names) for flag in ("--id-attr:Id", name)]

    def _write_trust(self, company_id, folder):
        from odoo.addons.hocbaso_odoo_sign.tools import trust_material

        company = self.env["res.company"].browse(company_id)
        roots, intermediates, _crls = trust_material(self.env, company)
        flags = []
        # one file per certificate: xmlsec1 reads the first certificate of a PEM file only
        for kind, certificates in (("trusted", roots), ("untrusted", intermediates)):
            for index, certificate in enumerate(certificates):
                path = folder / f"{company_id}-{kind}-{index}.pem"
                path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
                flags += [f"--{kind}-pem", str(path)]
        return flags

    # --- the outbox resumes ----------------------------------------------------------------------
    def check_outbox(self):
        env = self.env
        if "hocbaso.sync.entry" not in env:
            self.notes.append("hocbaso_odoo_sync is not installed: no outbox to resume")
            return
        Entry = env["hocbaso.sync.entry"].sudo()
        configs = env["hocbaso.sync.config"].sudo().search([])
        entries = Entry.search([], order="id")
        at_backup = {entry.id: entry.state for entry in entries}
        self.figures.update({f"outbox_{state}": count
                             for state, count in Counter(at_backup.values()).items()})
        self._check_outbox_documents(entries)
        if not configs:
            self.notes.append("no CSDL connection is set up: the outbox was not resumed")
            return
        stray = entries.filtered(lambda e: e.company_id not in configs.company_id)
        if stray.filtered(lambda e: e.state in DUE):
            self.notes.append(f"{len(stray)} outbox entries of schools without a CSDL "
                              "connection were left alone")
        entries -= stray
        credentials = self._drill_credentials(configs)
        server = CsdlServerProcess(self.work / "csdl", extra_args=[
            "--clients", str(credentials), "--quiet"])
        if self.snapshot:
            (self.work / "csdl").mkdir()
            shutil.copyfile(self.snapshot, server.db_path)
        server.start()
        try:
            self._point_at(configs, server.base_url)
            if not self.snapshot:
                self._seed(configs, entries.filtered(lambda e: e.state == "acknowledged"))
            before = self._holdings(server, configs)
            self._resume(Entry, configs)
            after = self._holdings(server, configs)
        finally:
            server.stop()
        self._compare(entries, at_backup, before, after)

    def _check_outbox_documents(self, entries):
        """The outbox keeps its own copy of each document, in the filestore."""
        for chunk in split_every(CHUNK, entries.ids):
            batch = entries.browse(chunk)
            documents = batch._raw_documents()
            for entry in batch:
                if entry.event == "CANCEL":
                    continue
                self.figures["outbox_documents"] += 1
                xml = documents.get(entry.id, b"")
                if hashlib.sha256(xml).hexdigest() == entry.xml_sha256:
                    self.figures["outbox_documents_intact"] += 1
                else:
                    self.fail(f"outbox {entry.display_label}: its document is "
                              + ("damaged" if xml else "missing"))
            self.env.invalidate_all()

    def _drill_credentials(self, configs):
        """Fresh credentials per school for the drill's CSDL, in a file only we can read: the
        copy never uses (nor shows) the school's real ones."""
        self._secrets = {config.id: secrets.token_urlsafe(24) for config in configs}
        path = self.work / "csdl-clients.json"
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            json.dump([{"client_id": f"restore-drill-{config.id}",
                        "client_secret": self._secrets[config.id],
                        "ma_truong": config.school_code} for config in configs], handle)
        return path

    def _point_at(self, configs, base_url):
        for config in configs:
            # "test": a production connection insists on https, the drill's CSDL is loopback
            config.write({"endpoint_url": base_url, "client_id": f"restore-drill-{config.id}",
                          "client_secret": self._secrets[config.id], "mode": "test"})
        self.env.cr.commit()

    def _seed(self, configs, acknowledged):
        """Without a snapshot: give the drill's CSDL what the restored outbox says it holds."""
        for config in configs:
            mine = acknowledged.filtered(lambda e, c=config: e.company_id == c.company_id)
            mine = mine.sorted(lambda e: (e.id_ban_ghi, e.phien_ban))
            documents = mine._raw_documents()
            envelopes = [entry._envelope(config, documents.get(entry.id, b"")) for entry in mine]
            client = CsdlClient(config.endpoint_url, config.client_id, self._secrets[config.id],
                                config.school_code)
            self.figures["csdl_seeded"] += len(client.send_batch(envelopes))

    def _holdings(self, server, configs):
        """{(id_ban_ghi, phien_ban): what the CSDL holds} for the drill's schools."""
        schools = set(configs.mapped("school_code"))
        held = {}
        for record in server.records():
            if record["ma_truong"] not in schools:
                continue
            self.csdl_holdings[record["id_ban_ghi"]] = record
            for version in record["versions"]:
                held[(record["id_ban_ghi"], version["phien_ban"])] = {
                    "sha256": version["sha256"], "receipt_id": version["receipt_id"],
                    "accepted": version["accepted_deliveries"],
                    "deliveries": sum(version["deliveries"].values()),
                    "current": record["phien_ban"]}
        return held

    def _resume(self, Entry, configs):
        """The cron, as a restarted server runs it, until nothing is due."""
        from odoo.addons.hocbaso_odoo_sync.models.hocbaso_sync_entry import STUCK_AFTER

        now = fields.Datetime.now()
        # No process of the copy was sending: an entry 'sending' in a backup was interrupted.
        # Date its claim back so that the cron's own recovery takes it, as it would after
        # STUCK_AFTER on a restarted server; and no backoff wait: a drill cannot wait an hour.
        Entry.search([("state", "=", "sending")]).write(
            {"sending_since": now - STUCK_AFTER - timedelta(minutes=1)})
        Entry.search([("state", "=", "retrying")]).write({"next_retry_at": now})
        self.env.cr.commit()
        for _run in range(MAX_SYNC_RUNS):
            self.figures["cron_runs"] += 1
            Entry._cron_send_pending()
            self.env.cr.commit()
            self.env.invalidate_all()
            if not Entry._count_due(configs) and \
                    not Entry.search_count([("state", "=", "sending")]):
                break
            Entry.search([("state", "=", "retrying")]).write({"next_retry_at": now})
            self.env.cr.commit()

    def _compare(self, entries, at_backup, before, after):
        entries.invalidate_recordset()
        for version in after.values():
            self.figures["csdl_versions"] += 1
            self.figures["stored_twice"] += max(0, version["accepted"] - 1)
        if self.figures["stored_twice"]:
            self.fail(f"the CSDL stored {self.figures['stored_twice']} versions twice")
        for key, version in before.items():
            if after.get(key, {}).get("receipt_id") != version["receipt_id"] or \
                    after[key]["sha256"] != version["sha256"]:
                self.fail(f"the CSDL's version {key[1]} of {key[0]} changed during the resume")
        for entry in entries:
            key = (entry.id_ban_ghi, entry.phien_ban)
            label = f"outbox {entry.display_label}"
            state = at_backup[entry.id]
            if state == "acknowledged":
                if key not in before:
                    self.fail(f"{label}: acknowledged in the backup, not held by the CSDL")
                elif after[key]["deliveries"] > before[key]["deliveries"]:
                    self.figures["sent_again"] += 1
                    self.fail(f"{label}: acknowledged in the backup, yet sent again")
                continue
            if state == "failed":
                self.notes.append(f"{label}: failed already in the backup "
                                  f"({(entry.last_error or '').strip()[:80]}); left for the admin")
                continue
            if entry.state != "acknowledged":
                self.fail(f"{label}: {entry.state} after the resume: {entry.last_error or ''}")
                continue
            self.figures["sent"] += 1
            if key in before:
                self.figures["already_held"] += 1  # sent before the backup knew: 'duplicate'
            held = after.get(key)
            stale = entry.receipt_status == STATUS_IGNORED_STALE and any(
                k[0] == entry.id_ban_ghi and v["current"] > entry.phien_ban
                for k, v in after.items())
            if held and held["sha256"] == entry.xml_sha256 or stale:
                self.figures["arrived"] += 1
            else:
                self.fail(f"{label}: acknowledged, but the CSDL does not hold this version")
        self.figures["duplicates"] = self.figures["stored_twice"] + self.figures["sent_again"]
        self.outbox = [{"id_ban_ghi": entry.id_ban_ghi, "phien_ban": entry.phien_ban,
                        "event": entry.event, "at_backup": at_backup[entry.id],
                        "state": entry.state, "receipt_status": entry.receipt_status or ""}
                       for entry in entries]

    # --- report -------------------------------------------------------------------------------
    def summary(self, seconds):
        f = self.figures
        source = os.environ.get("HOCBASO_DRILL_SOURCE", "?")
        csdl = "a snapshot taken with the backup" if self.snapshot else \
            f"seeded with the {f['csdl_seeded']} entries acknowledged in the backup"
        lines = [
            f"Restore drill of {source} into {self.env.cr.dbname}",
            f"  backup              {os.environ.get('HOCBASO_DRILL_BACKUP', '?')}",
            f"  filestore files     {f['files']} referred to, {f['files_present']} present, "
            f"{f['files_intact']} intact",
            f"  records checked     {f['records']} with a document, "
            f"{f['hashes_match']} hashes match",
            f"  signatures verified {f['signatures_valid']} of {f['signatures']} by "
            f"hocbaso.verify, {f['xmlsec_valid']} of {f['xmlsec_checked']} by xmlsec1",
            f"  revocations         {f['revocations_valid']} of {f['revocations']} statements "
            "verified",
            f"  outbox at backup    {f['outbox_acknowledged']} acknowledged, "
            f"{f['outbox_pending'] + f['outbox_retrying']} waiting, {f['outbox_sending']} "
            f"interrupted, {f['outbox_failed']} failed",
            f"  outbox documents    {f['outbox_documents_intact']} of {f['outbox_documents']} "
            "intact",
            f"  reference CSDL      {csdl}",
            f"  entries sent        {f['sent']} after the restore, {f['arrived']} arrived "
            f"({f['already_held']} held already), in {f['cron_runs']} cron "
            + ("run" if f["cron_runs"] == 1 else "runs"),
            f"  duplicates          {f['duplicates']} (stored twice {f['stored_twice']}, "
            f"acknowledged entries sent again {f['sent_again']})",
        ]
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  FAIL: {failure}" for failure in self.failures[:FAILURES_SHOWN]]
        if len(self.failures) > FAILURES_SHOWN:
            lines.append(f"  ... and {len(self.failures) - FAILURES_SHOWN} more failures")
        lines.append(f"  checks took {seconds:.0f} s: "
                     + ("all passed" if not self.failures else f"{len(self.failures)} FAILED"))
        return "\n".join(lines)

    def run(self):
        started = time.monotonic()
        steps = (("filestore", self.check_filestore),
                 ("records", lambda: self.check_xmlsec(self.check_records())),
                 ("outbox", self.check_outbox))
        for name, step in steps:
            try:
                step()
            except Exception as err:  # noqa: BLE001 - one broken step must not hide the others
                self.env.cr.rollback()
                self.fail(f"{name}: the check itself failed: {type(err).__name__}: {err}")
        seconds = time.monotonic() - started
        print(self.summary(seconds), flush=True)
        result = {"ok": not self.failures, "figures": dict(self.figures),
                  "failures": self.failures, "notes": self.notes, "seconds": round(seconds, 1),
                  "database": self.env.cr.dbname, "csdl": self.csdl_holdings,
                  "outbox": self.outbox}
        Path(os.environ["HOCBASO_DRILL_RESULT"]).write_text(json.dumps(result, indent=1),
                                                            encoding="utf-8")


if __name__ == "__main__":
    Drill(env).run()  # noqa: F821 - given by odoo-bin shell
