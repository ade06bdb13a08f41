"""The benchmark's report: the rows of the Odoo stages, the targets with PASS/MISS and the
summary, from the meters and query profiles a run collected (odoo_stages.Bench)."""

from .measure import peak_rss_mb

DISTRICT = 30000
TARGET_EXPORT = 500.0  # records/s
# Signing is measured against its own floor, not a share of raw RSA (the old target, 40% of
# raw RSA per signature, is retired: issue 19). A step verifies what it counter-signs and what
# it wrote and keeps its audit trail; its floor is what no step can do without: one RSA
# signature and one C14N pass over the document per signature, measured in the same run.
TARGET_SCHOOL_S = 60.0  # 2,000-student school: export + sign all roles + queue
TARGET_DISTRICT_S = 15 * 60.0  # 30,000 students end to end
TARGET_MEMORY_MB = 1536.0


class Report:
    """Mixed into odoo_stages.Bench: reads its meters, queries, counts and schools."""

    def report(self):
        from odoo.addons.hocbaso_demo.district import BIG_SCHOOL

        m, n = self.meters, self.record_count
        export_rate = m["export_wall"].rate  # the machine's throughput, all workers together
        self.rows.append({
            "stage": f"export: lock, build + XSD validation, store ({self.workers} workers)",
            "rate": export_rate, "unit": "records/s", "limit": self.export_limit,
            "note": f"{m['export'].rate:.1f} records/s per worker; target >= "
                    f"{TARGET_EXPORT:.0f} records/s: {verdict(export_rate >= TARGET_EXPORT)}; "
                    + self.query_note("export")})
        signatures = m["sign"].extra["signatures"]
        all_signatures = signatures + m["token"].extra["signatures"]
        sign_rate = signatures / m["sign"].seconds  # per worker: the per-core cost
        floor = self.signing_floor()
        self.rows.append({
            "stage": "signing, PKCS#12 software key (all roles, wizard), per worker",
            "rate": sign_rate, "unit": "signatures/s", "limit": floor,
            "note": f"{n / m['sign'].seconds:.1f} records/s per worker; per record "
                    f"{all_signatures / n:.1f} signatures in "
                    f"{self.sign_calls_per_record():.1f} signing steps, "
                    f"{self.counts['wizard_runs']} wizard runs; limit: the step's floor, "
                    f"{floor:.0f} signatures/s (one RSA signature, "
                    f"{1000 / self.rsa_rate:.2f} ms, and one C14N of the signed document, "
                    f"{self.c14n_seconds['signed documents'] * 1000:.2f} ms, per signature); "
                    f"{sign_rate / self.rsa_rate:.1%} of raw RSA"})
        self.rows.append({
            "stage": f"  signing, {self.workers} workers together (wall clock)",
            "rate": all_signatures / m["sign_wall"].seconds, "unit": "signatures/s",
            "limit": floor,
            "note": f"{n / m['sign_wall'].seconds:.1f} records/s; the limit is one core's floor"})
        for role in ("gvbm", "gvcn", "cbql", "phathanh"):
            meter = m[f"sign:{role}"]
            if meter.seconds:
                self.rows.append({
                    "stage": f"  signing as {role}", "rate": meter.extra["signatures"] /
                    meter.seconds, "unit": "signatures/s", "limit": floor,
                    "note": f"{meter.items / meter.seconds:.1f} record-steps/s"
                            + ("; includes queueing in the CSDL outbox"
                               if role == "phathanh" else "")})
        if m["token"].seconds:
            self.rows.append({
                "stage": "signing, SoftHSM2 token (homeroom, one class)",
                "rate": m["token"].extra["signatures"] / m["token"].seconds,
                "unit": "signatures/s", "limit": floor,
                "note": f"{m['token'].items} records, PKCS#11 through the same wizard"})
        else:
            self.summary.append(f"SoftHSM2 token stage skipped: {self.token_error}")
        self.rows.append({"stage": "queue into the CSDL outbox (_on_issued)",
                          "rate": m["queue"].rate, "unit": "records/s",
                          "note": self.query_note("queue")})
        self.rows.append({"stage": "verification (_verify_report, all signatures)",
                          "rate": m["verify"].rate, "unit": "records/s", "limit": self.rsa_rate,
                          "note": f"sample of {m['verify'].items}, "
                                  f"{m['verify'].extra['signatures'] / m['verify'].items:.1f} "
                                  "signatures each; limit shown is RSA signing"})
        self.rows.extend(self.page_rows())
        self.rows.append({"stage": "PDF rendering (wkhtmltopdf, one record per call)",
                          "rate": m["pdf"].rate, "unit": "records/s",
                          "note": f"sample of {m['pdf'].items}, "
                                  f"{m['pdf'].extra['bytes'] / m['pdf'].items / 1024:.0f} KB "
                                  "per record; Odoo's default report.print_delay = 1000 ms"})
        self.rows.append({"stage": "  PDF rendering with report.print_delay = 0",
                          "rate": m["pdf0"].rate, "unit": "records/s",
                          "note": f"sample of {m['pdf0'].items}: the wait for JavaScript that "
                                  "this report does not use"})
        self.rows.append({"stage": "  PDF rendering, a whole class in one call",
                          "rate": m["pdf_class"].rate, "unit": "records/s",
                          "note": f"{m['pdf_class'].items} records, "
                                  f"{m['pdf_class'].extra['bytes'] / 1024:.0f} KB; "
                                  "report.print_delay = 1000 ms"})
        self.rows.extend(self.export_rows())
        self.rows.append({"stage": "sync to the reference CSDL server (cron)",
                          "rate": m["sync"].rate, "unit": "records/s",
                          "note": f"{n} records, {self.sync_batch} per request, all acknowledged "
                                  "and held by the server"})
        # end to end ----------------------------------------------------------------------
        first = self.schools[0]
        school_s = m["school0"].seconds
        if first["size"] != BIG_SCHOOL:
            school_2000 = school_s * BIG_SCHOOL / first["size"]
            school_note = (f"measured {school_s:.1f}s for {first['size']} students, scaled "
                           f"linearly to {BIG_SCHOOL}")
        else:
            school_2000, school_note = school_s, f"measured on a {BIG_SCHOOL}-student school"
        self.rows.append({"stage": "2,000-student school: export + sign + queue",
                          "rate": school_2000, "unit": "s",
                          "note": f"{school_note}; target < {TARGET_SCHOOL_S:.0f} s: "
                                  f"{verdict(school_2000 < TARGET_SCHOOL_S)}"})
        pipeline = sum(m[k].seconds for k in ("export_wall", "sign_wall", "sync"))
        if n != DISTRICT:
            district_s = pipeline * DISTRICT / n
            district_note = f"measured {pipeline:.0f}s for {n} records, scaled linearly"
        else:
            district_s, district_note = pipeline, "measured"
        self.rows.append({"stage": "30,000-student district: export+sign+queue+sync",
                          "rate": district_s, "unit": "s",
                          "note": f"{district_note}; target < {TARGET_DISTRICT_S:.0f} s: "
                                  f"{verdict(district_s < TARGET_DISTRICT_S)}"})
        own = peak_rss_mb()
        workers = sum(self.worker_peak_mb.values())
        peak = own + workers  # as if every process peaked at the same moment
        self.rows.append({"stage": "peak memory (this process + the Odoo workers)", "rate": peak,
                          "unit": "MB",
                          "note": f"this process {own:.0f} MB, workers " + ", ".join(
                              f"{mb:.0f}" for mb in self.worker_peak_mb.values())
                          + f" MB, summed; target < {TARGET_MEMORY_MB:.0f} MB: "
                            f"{verdict(peak < TARGET_MEMORY_MB)}"})
        self.rows.append({"stage": "peak memory (reference CSDL server process)",
                          "rate": self.csdl_peak_mb, "unit": "MB",
                          "note": "PostgreSQL and the short-lived wkhtmltopdf runs not counted"})
        growth = self.query_growth()
        self.summary.append(f"no SQL query count growing per record (N+1): {verdict(growth)}")
        self.summary.append(
            f"district generation (not timed as a stage): {self.generation_seconds:.0f}s for "
            f"{n} records ({n / self.generation_seconds:.0f} records/s)")
        self.print_summary(school_2000, district_s, peak)

    def signing_floor(self):
        """Signatures/s of a signing step's floor on one core: one RSA signature and one C14N
        pass over the (signed) document per signature, both measured in this run."""
        return 1 / (1 / self.rsa_rate + self.c14n_seconds["signed documents"])

    def sign_calls_per_record(self):
        # the specialists one by one, then the homeroom teacher (her subjects and GVCN), the
        # leader and the issuer
        calls = sum(len(set(k["gvbm"]) - {k["homeroom"]}) + 3 for s in self.schools
                    for k in s["classes"] for _r in k["records"])
        return calls / self.record_count

    def query_note(self, stage):
        sizes = sorted(size for kind, size in self.queries if kind == stage)
        parts = []
        for size in sizes:
            profile = self.queries[(stage, size)]
            parts.append(f"{profile.total / size:.1f} queries/record at {size}")
        largest = self.queries[(stage, sizes[-1])]
        return ", ".join(parts) + f" (most: {largest.top(sizes[-1], 4)})"

    def query_growth(self):
        """True when no stage's queries per record grow with the batch size."""
        ok = True
        for stage in ("export", "queue"):
            sizes = sorted(size for kind, size in self.queries if kind == stage)
            per = [self.queries[(stage, s)].total / s for s in sizes]
            if per[-1] > per[0] * 1.10 + 0.5:
                ok = False
        return ok

    def print_summary(self, school_s, district_s, peak):
        m = self.meters
        sign_rate = m["sign"].extra["signatures"] / m["sign"].seconds
        lines = [
            f"Targets ({self.record_count} records in {len(self.schools)} school(s), "
            f"database {self.db}):",
            f"  export >= {TARGET_EXPORT:.0f} records/s ({self.workers} workers): "
            f"{m['export_wall'].rate:.1f} -> {verdict(m['export_wall'].rate >= TARGET_EXPORT)}",
            f"  signing per worker against its floor (RSA + one C14N per signature, "
            f"{self.signing_floor():.0f}/s): {sign_rate:.1f}/s = "
            f"{sign_rate / self.signing_floor():.1%} (the 40%-of-raw-RSA target is retired)",
            f"  2,000-student school export + sign + queue < {TARGET_SCHOOL_S:.0f} s: "
            f"{school_s:.1f} s -> {verdict(school_s < TARGET_SCHOOL_S)}",
            f"  30,000-student district end to end < {TARGET_DISTRICT_S:.0f} s: "
            f"{district_s:.0f} s{'' if self.record_count == DISTRICT else ' (extrapolated)'}"
            f" -> {verdict(district_s < TARGET_DISTRICT_S)}",
            f"  peak memory < {TARGET_MEMORY_MB:.0f} MB: {peak:.0f} MB -> "
            f"{verdict(peak < TARGET_MEMORY_MB)}",
        ] + ["  " + line for line in self.summary]
        print("\n" + "\n".join(lines))


def verdict(ok):
    return "PASS" if ok else "MISS"
