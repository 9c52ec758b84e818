"""Logout tests run the real delivery worker (in a thread of the test process) against real
HTTP receivers standing in for portals."""

from __future__ import annotations

import threading

import pytest

from gateway.logout.worker import DeliveryWorker


def start_worker(app, **kw):
    worker = DeliveryWorker(app.extensions["gateway"], backoff_base=kw.pop("backoff_base", 0.3), **kw)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


@pytest.fixture(scope="module")
def worker(app):
    stop, thread = start_worker(app)
    yield
    stop.set()
    thread.join(10)
