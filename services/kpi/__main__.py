"""Run the kpi service: `python -m services.kpi [serve] [--host H] [--port P]`, or `python -m services.kpi rebuild`."""

import argparse
import asyncio
import signal
from types import FrameType

import uvicorn


def main() -> None:
    """Serve the app with uvicorn (default), or rebuild the projections by replaying the topics."""
    parser = argparse.ArgumentParser(prog="python -m services.kpi")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve the API, /metrics and the consumer (default)")
    for p in (parser, serve):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8004)
    rebuild = sub.add_parser("rebuild", help="replay every topic from offset 0 into fresh tables (service stopped)")
    rebuild.add_argument("--database-url", default=None, help="rebuild into this database instead of the configured one")
    rebuild.add_argument("--site", action="append", default=None,
                         help="only these sites (repeatable; needs --database-url; no offsets are kept)")
    args = parser.parse_args()
    if args.command == "rebuild":
        from services.kpi.rebuild import rebuild as run_rebuild
        from services.kpi.settings import KpiSettings

        if args.site and not args.database_url:
            parser.error("--site needs --database-url (a partial rebuild must not replace the live projection)")
        count = asyncio.run(run_rebuild(KpiSettings(), database_url=args.database_url,
                                        sites=set(args.site) if args.site else None))
        print(f"rebuilt the kpi projections: {count}")
        return
    # uvicorn re-raises the signals that stopped it once it is done; with the default handlers a SIGTERM after a Ctrl-C
    # then killed the process before its exit clean-up, and the figures worker's semaphores were reported leaked.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _exit)
    uvicorn.run("services.kpi.app:create_app", factory=True, host=args.host, port=args.port, log_config=None)


def _exit(_signum: int, _: FrameType | None) -> None:
    raise SystemExit(0)  # asked to stop, and stopped cleanly


if __name__ == "__main__":
    main()
