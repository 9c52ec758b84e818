"""``python -m simulators.provincial``: serve the simulator on 127.0.0.1.

Environment: ``PROVINCIAL_PORT`` (5001), ``PROVINCIAL_HOST`` (127.0.0.1), ``PROVINCIAL_SEED`` (shipped
seed.json), and any SimConfig knob as ``PROVINCIAL_<NAME>`` (e.g. ``PROVINCIAL_TICKET_TTL=1``).
Exits with status 2 on an invalid seed.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import fields

from .app import SimConfig, create_app
from .seed import SeedError

_NUMERIC = {f.name for f in fields(SimConfig) if f.type in ("float", float)}


def config_from_env(env: dict[str, str]) -> dict:
    config: dict = {"seed": env.get("PROVINCIAL_SEED") or None}
    for name in _NUMERIC:
        value = env.get(f"PROVINCIAL_{name.upper()}")
        if value:
            config[name] = float(value)
    return config


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(config_from_env(dict(os.environ)))
    except SeedError as exc:
        logging.getLogger("simulators.provincial").error("refusing to start: invalid seed: %s", exc)
        return 2
    host = os.environ.get("PROVINCIAL_HOST", "127.0.0.1")
    port = int(os.environ.get("PROVINCIAL_PORT", "5001"))
    app.run(host=host, port=port, threaded=True, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
