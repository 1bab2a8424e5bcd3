"""Run the OEM simulator: `python -m tools.oem_simulator [--host H] [--port P]` (default from PITWALL_OEM_SIM_*)."""

import argparse

import uvicorn

from shared.logs import configure_logging
from tools.oem_simulator.app import create_app
from tools.oem_simulator.settings import OemSimulatorSettings


def main() -> None:
    """Serve the simulator with uvicorn."""
    settings = OemSimulatorSettings()
    parser = argparse.ArgumentParser(prog="python -m tools.oem_simulator")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args()
    configure_logging("oem-simulator", settings.log_level)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)


if __name__ == "__main__":
    main()
