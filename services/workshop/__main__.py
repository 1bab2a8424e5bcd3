"""Run the workshop service: `python -m services.workshop [--host H] [--port P]`."""

import argparse

import uvicorn


def main() -> None:
    """Serve the app with uvicorn."""
    parser = argparse.ArgumentParser(prog="python -m services.workshop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    uvicorn.run("services.workshop.app:create_app", factory=True, host=args.host, port=args.port, log_config=None)


if __name__ == "__main__":
    main()
