"""bench: `python -m bench [--records N] [--softhsm] [--providers [N]] [--timestamps [N]]
[--ltv [N]] [--pdf [N]] [--odoo] [--students N] [--workers N] [--nodes N]` prints figures and
ratios.

Plain stages always run; --odoo adds the Odoo stages on a fresh database, export and signing
in --workers Odoo worker processes (see bench/odoo_stages.py).
"""

import argparse
import os
import platform
import sys

from . import plain


def print_rows(title, rows):
    print(f"\n{title}")
    print(f"{'stage':58} {'rate':>12}  {'unit':14} {'ratio to limit':>14}")
    for row in rows:
        ratio = f"{row['rate'] / row['limit']:.1%}" if row.get("limit") else ""
        print(f"{row['stage']:58} {row['rate']:12.1f}  {row['unit']:14} {ratio:>14}")
        if row.get("note"):
            print(f"{'':60}({row['note']})")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--records", type=int, default=300, help="records for the plain stages")
    parser.add_argument("--softhsm", action="store_true", help="also sign on a SoftHSM2 token")
    parser.add_argument("--providers", type=int, nargs="?", const=600, default=0,
                        help="also sign N records (600) through each provider stand-in with "
                        "one approval")
    parser.add_argument("--timestamps", type=int, nargs="?", const=200, default=0,
                        help="also ask the TSA stand-in for N (200) timestamps, timestamp "
                        "every signature of 20 records, and sign a class of 40 with the "
                        "authority 100 ms away, one record after another and side by side")
    parser.add_argument("--ltv", type=int, nargs="?", const=20, default=0,
                        help="also keep validation data and add an archive timestamp to N (20) "
                        "timestamped records (TSA and OCSP stand-ins)")
    parser.add_argument("--pdf", type=int, nargs="?", const=200, default=0,
                        help="also certify N printed PDFs (200) with the school's key and "
                        "check them, beside raw RSA signing")
    parser.add_argument("--odoo", action="store_true", help="also run the Odoo stages")
    parser.add_argument("--students", type=int, default=30000, help="district size (Odoo stages)")
    parser.add_argument("--workers", type=int, default=2,
                        help="Odoo worker processes for export and signing (Odoo stages)")
    parser.add_argument("--nodes", type=int, default=0,
                        help="with --odoo: after queueing, send the outbox with the sync job "
                        "of N odoo-bin servers on the same database (bench/odoo_nodes.py), "
                        "instead of the later stages")
    args = parser.parse_args(argv)
    print(f"Học bạ số benchmark — {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    token_signer = None
    if args.softhsm:
        from .token import softhsm_signer

        token_signer = softhsm_signer()
    print_rows("Plain Python (no Odoo)", plain.run(args.records, token_signer=token_signer))
    if args.providers:
        from . import providers

        print_rows("Remote providers' stand-ins (one approval, one batch)",
                   providers.run(args.providers))
    if args.timestamps:
        from . import timestamps

        print_rows("Trusted timestamps (RFC 3161, TSA stand-in)", timestamps.run(args.timestamps))
    if args.ltv:
        from . import ltv

        print_rows("Kept validation data and archive timestamps (TSA + OCSP stand-ins)",
                   ltv.run(args.ltv))
    if args.pdf:
        from . import pdf

        print_rows("The signed PDF (PAdES)", pdf.run(args.pdf))
    if args.odoo:
        from . import odoo_stages

        print_rows("Odoo 18 + PostgreSQL", odoo_stages.run(args.students, workers=args.workers,
                                                            nodes=args.nodes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
