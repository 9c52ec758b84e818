"""A small load generator for fault tests: threads repeating a step, every outcome timed and kept."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class Outcome:
    kind: str
    started: float
    elapsed: float
    status: int | None  # None: exception
    ok: bool
    detail: str = ""


@dataclass
class Load:
    steps: dict  # kind -> callable returning (status, ok, detail)
    threads_per_step: int = 2
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(kind, fn), daemon=True)
                         for kind, fn in self.steps.items() for _ in range(self.threads_per_step)]

    def _run(self, kind, fn):
        while not self._stop.is_set():
            t0 = time.time()
            try:
                status, ok, detail = fn()
            except Exception as exc:  # timeouts, refused connections: recorded, judged by the test
                status, ok, detail = None, False, type(exc).__name__
            with self._lock:
                self.outcomes.append(Outcome(kind, t0, time.time() - t0, status, ok, detail))
            if not ok:
                self._stop.wait(0.05)  # back off after a failure; stops at once when the load ends

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(30)

    def between(self, t0: float, t1: float, kind: str | None = None) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if t0 <= o.started < t1 and (kind is None or o.kind == kind)]

    def first_ok_after(self, t: float, kind: str) -> Outcome | None:
        with self._lock:
            done = sorted((o for o in self.outcomes if o.kind == kind and o.ok and o.started >= t),
                          key=lambda o: o.started + o.elapsed)
        return done[0] if done else None
