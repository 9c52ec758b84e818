"""App factory of sim-tysfrz, the simulated Shandong provincial identity system (PROVINCIAL.md §2)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, fields
from typing import Any, Callable

from flask import Flask, current_app

from .seed import Seed, load_seed
from .store import Store

log = logging.getLogger(__name__)


@dataclass
class SimConfig:
    """Every lifetime and window is configurable: the real values are not public ([inference])."""

    seed: Any = None  # path, dict, or None for the shipped seed.json
    ticket_ttl: float = 60.0
    token_ttl: float = 1800.0  # sliding
    token_max_lifetime: float = 8 * 3600.0
    app_sign_ttl: float = 7200.0
    timestamp_window: float = 300.0
    nonce_ttl: float = 600.0
    session_ttl: float = 8 * 3600.0
    backchannel_timeout: float = 2.0
    faults: dict = field(default_factory=dict)
    clock: Callable[[], float] = time.time

    @classmethod
    def from_mapping(cls, config: dict | None) -> "SimConfig":
        # Accept both ``ticket_ttl`` and Flask-style ``TICKET_TTL`` keys.
        known = {f.name for f in fields(cls)}
        values = {k.lower(): v for k, v in (config or {}).items() if k.lower() in known}
        return cls(**values)


@dataclass
class Sim:
    config: SimConfig
    seed: Seed
    store: Store


def sim() -> Sim:
    return current_app.extensions["sim"]


def create_app(config: dict | None = None) -> Flask:
    """Build the simulator. Raises ``SeedError`` on an invalid seed (so it never starts with one)."""
    cfg = SimConfig.from_mapping(config)
    seed = load_seed(cfg.seed)
    store = Store(cfg.clock)
    store.reset(cfg.faults)

    app = Flask(__name__)
    app.json.ensure_ascii = False  # readable zh-CN messages in the JSON envelope
    app.extensions["sim"] = Sim(cfg, seed, store)

    from .admin import bp as admin_bp
    from .browser import bp as browser_bp
    from .interface import bp as interface_bp

    app.register_blueprint(browser_bp)
    app.register_blueprint(interface_bp)
    app.register_blueprint(admin_bp)
    log.info("sim-tysfrz ready: %d apps, %d users", len(seed.apps), len(seed.users))
    return app
