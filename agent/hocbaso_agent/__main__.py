"""``python -m hocbaso_agent --module PATH --allow-origin https://school.example``"""

from __future__ import annotations

import argparse
import sys

from . import DEFAULT_PORT, NAME, __version__
from .server import DEFAULT_MAX_BODY, DEFAULT_MAX_ITEMS, AgentServer, normalise_origin


def _origin(value: str) -> str:
    try:
        return normalise_origin(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="python -m hocbaso_agent",
        description="Học bạ số signing agent: signs, on the USB token of this PC and after one "
                    "PIN, the digests the school's Odoo prepared. Listens on 127.0.0.1 only.")
    result.add_argument("--module", required=True,
                        help="the token's PKCS#11 module (driver library), e.g. "
                             "/usr/lib/softhsm/libsofthsm2.so, or the vendor's .dll on Windows")
    result.add_argument("--allow-origin", action="append", required=True, type=_origin,
                        metavar="URL", help="an Odoo address allowed to use the agent, e.g. "
                                            "https://school.example (repeat for several)")
    result.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help="the port on 127.0.0.1 (default %(default)s; 0 picks a free one)")
    result.add_argument("--token-label", help="use only the token with this label")
    result.add_argument("--max-items", type=int, default=DEFAULT_MAX_ITEMS,
                        help="most digests signed in one request (default %(default)s)")
    result.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY,
                        help="largest request accepted, in bytes (default %(default)s)")
    result.add_argument("--version", action="version", version="%s %s" % (NAME, __version__))
    return result


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    from .token import TokenAccess  # noqa: PLC0415 - --help works without python-pkcs11

    try:
        tokens = TokenAccess(args.module, args.token_label)
    except Exception as exc:  # noqa: BLE001 - a missing driver, a broken install
        print("cannot load the PKCS#11 module %s (%s: %s)" % (args.module, type(exc).__name__,
                                                              exc), file=sys.stderr)
        return 2
    try:
        server = AgentServer(args.port, tokens, args.allow_origin, args.max_items, args.max_body)
    except OSError as exc:
        print("cannot listen on 127.0.0.1:%s (%s); is another signing agent running? Choose "
              "another --port." % (args.port, exc), file=sys.stderr)
        return 2
    print("listening on http://127.0.0.1:%d" % server.port, flush=True)
    print("allowed origins: %s" % ", ".join(sorted(server.allow_origins)), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
