"""Measuring the Odoo stages: the log, process memory, stage meters and SQL query counts."""

import collections
import contextlib
import re
import resource
import sys
import time

_T0 = time.perf_counter()


def start_standin(module, pki_dir, *extra):
    """(process, base URL) of a stand-in run on ``pki_dir`` as its own process, as the tests
    run it (``hocbaso.signing.standins.common.launch``); stop it with ``stop_standin``."""
    from pathlib import Path

    from hocbaso.signing.standins.common import launch

    return launch(module, "--port", "0", "--pki-dir", str(pki_dir), *extra,
                  cwd=Path(__file__).resolve().parents[1])


def stop_standin(proc):
    from hocbaso.signing.standins.common import stop

    stop(proc)


def log(message):
    print(f"[bench {time.perf_counter() - _T0:7.1f}s] {message}", file=sys.stderr, flush=True)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_peak_rss_mb(pid):
    """Peak RSS of a running process (VmHWM). Not RUSAGE_CHILDREN: a child forked from this
    process counts this process's pages until it execs, so that figure is ours again."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def current_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Meter:
    """Seconds and item counts of one stage, summed over its batches."""

    def __init__(self):
        self.seconds = 0.0
        self.items = 0
        self.extra = collections.Counter()

    @contextlib.contextmanager
    def measure(self, items=0):
        start = time.perf_counter()
        try:
            yield self
        finally:
            self.seconds += time.perf_counter() - start
            self.items += items

    @property
    def rate(self):
        return self.items / self.seconds if self.seconds else 0.0


class QueryProfile:
    """Count the SQL queries run while active, by shape (table and verb), on every cursor."""

    def __init__(self):
        self.total = 0
        self.shapes = collections.Counter()

    @contextlib.contextmanager
    def active(self):
        from odoo import sql_db

        original = sql_db.Cursor.execute
        profile = self

        def execute(cursor, query, params=None, log_exceptions=True):
            profile.total += 1
            profile.shapes[self.shape(query)] += 1
            return original(cursor, query, params, log_exceptions)

        sql_db.Cursor.execute = execute
        try:
            yield self
        finally:
            sql_db.Cursor.execute = original

    @staticmethod
    def shape(query):
        text = getattr(query, "code", query)
        text = " ".join(str(text).split())
        match = re.match(r'(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE SAVEPOINT|'
                         r'ROLLBACK TO SAVEPOINT)\s*"?(\w*)', text, re.I)
        if not match:
            return text[:40]
        verb, table = match.group(1).upper(), match.group(2)
        if verb == "SELECT":
            found = re.search(r'\bFROM\s+"?(\w+)"?', text, re.I)
            table = found.group(1) if found else "?"
        if "SAVEPOINT" in verb:
            table = ""
        return f"{verb} {table}".strip()

    def top(self, per, count=5):
        return ", ".join(f"{shape} {n / per:.1f}" for shape, n in self.shapes.most_common(count))
