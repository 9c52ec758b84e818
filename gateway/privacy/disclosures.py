"""The disclosure log: every release of personal data, recorded without the values."""

from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import delete, func, insert, select

from ..batch import BatchQueue
from ..db import Database
from .models import Disclosure


class DisclosureLog:
    def __init__(self, db: Database, r, clock: Callable[[], float] = time.time):
        self.db, self.clock = db, clock
        # buffered: at a few thousand userinfo calls a second, one RPUSH per release would cost more
        # than the release itself (bench/bench_privacy.py)
        self.queue = BatchQueue(r, "disclosure", self._write, buffered=True)

    def record(self, user_id: str, client_id: str, channel: str, bases: dict[str, str]) -> None:
        if bases:
            self.queue.push({"user_id": user_id, "client_id": client_id, "channel": channel, "claims": bases,
                             "at": int(self.clock())})

    def _write(self, rows: list[dict]) -> None:
        with self.db.session() as s:
            s.execute(insert(Disclosure), rows)

    def flush(self) -> int:
        return self.queue.flush()

    def page(self, user_id: str, page: int = 1, per_page: int = 20) -> tuple[list[Disclosure], int]:
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(Disclosure).where(Disclosure.user_id == user_id))
            rows = s.scalars(select(Disclosure).where(Disclosure.user_id == user_id)
                             .order_by(Disclosure.at.desc(), Disclosure.id.desc())
                             .offset((page - 1) * per_page).limit(per_page)).all()
        return list(rows), int(total or 0)

    def all_for(self, user_id: str) -> list[Disclosure]:
        with self.db.session() as s:
            return list(s.scalars(select(Disclosure).where(Disclosure.user_id == user_id).order_by(Disclosure.at)))

    def purge_before(self, ts: int) -> int:
        with self.db.session() as s:
            return s.execute(delete(Disclosure).where(Disclosure.at < ts)).rowcount
