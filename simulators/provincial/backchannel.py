"""Back-channel logout notices to the apps of an ended session (PROVINCIAL.md §2.6, [inference]).

Sent from a background thread so the browser's logout redirect is never delayed by a slow app;
best effort with a short timeout, outcomes recorded for ``GET /__sim__/notices``.
"""

from __future__ import annotations

import logging
import secrets
import threading

import requests

from .signing import sign
from .store import Session

log = logging.getLogger(__name__)


def _post_all(sim, targets: list[tuple[str, str, dict]]) -> None:
    for app_mark, url, form in targets:
        outcome = {"appMark": app_mark, "url": url, "sessionIndex": form["sessionIndex"]}
        try:
            resp = requests.post(url, data=form, timeout=sim.config.backchannel_timeout)
            outcome["status"] = resp.status_code
        except requests.RequestException as exc:
            log.warning("logout notice to %s failed: %s", app_mark, exc)
            outcome["status"] = "error"
        with sim.store.lock:
            sim.store.notices.append(outcome)


def send_logout_notices(sim, sess: Session) -> None:
    if sim.store.faults.get("backchannel_down"):
        with sim.store.lock:
            sim.store.notices.append({"sessionIndex": sess.session_index, "status": "skipped (backchannel_down)"})
        return
    targets = []
    for app_mark in sorted(sess.apps):
        app = sim.seed.apps.get(app_mark)
        if app is None or not app.logout_url:
            continue
        form = {"sessionIndex": sess.session_index, "userId": sess.user_id,
                "timestamp": str(int(sim.config.clock() * 1000)), "nonce": secrets.token_hex(16)}
        form["sign"] = sign(form, app.app_word)
        targets.append((app_mark, app.logout_url, form))
    if targets:
        threading.Thread(target=_post_all, args=(sim, targets), name="sim-logout-notices", daemon=True).start()
