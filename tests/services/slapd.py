"""Throwaway OpenLDAP servers for tests, the LDAP benchmark and ``make demo``.

Adapted from /work/shared/recipes/start-slapd.sh: each server runs as our own child process on a
free loopback port with its config and data in a directory we own, and is stopped by its PID.
Production-like on purpose (real slapd, memberOf overlay, ACLs, StartTLS/LDAPS on request) because
ldap3's mock strategies do not reproduce bind semantics, timeouts or failover.

``start_blackhole`` is the other half of the resilience tests: a TCP listener that accepts
connections and never answers, i.e. a directory that is "up" but hung.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ldap"
SEED_LDIF = FIXTURES / "seed.ldif"
CONF_TEMPLATE = FIXTURES / "slapd.conf.tmpl"
SLAPD = os.environ.get("SLAPD", "/usr/sbin/slapd")
SLAPTEST = os.environ.get("SLAPTEST", "/usr/sbin/slaptest")
BASE = "dc=weifang,dc=gov,dc=cn"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PW = "admin-secret"  # matches rootpw in slapd.conf.tmpl
SERVICE_DN = f"cn=gateway-svc,ou=system,{BASE}"
SERVICE_PW = "gateway-svc-Pw1!"  # matches seed.ldif


class ServiceStartError(RuntimeError):
    """A test service did not come up; the message carries its log."""


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 (never a default port: see RECIPES pitfall 1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slapd_available() -> bool:
    return all(os.path.exists(p) or shutil.which(p) for p in (SLAPD, SLAPTEST, "ldapadd", "ldapsearch"))


def _make_cert(tmpdir: Path) -> tuple[Path, Path]:
    """Self-signed certificate for localhost/127.0.0.1; it is also the CA file clients trust."""
    cert, key = tmpdir / "cert.pem", tmpdir / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


def _wait_ready(proc: subprocess.Popen, port: int, logfile: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceStartError(f"slapd exited early (rc={proc.returncode}):\n{logfile.read_text()}")
        probe = subprocess.run(["ldapsearch", "-x", "-LLL", "-H", f"ldap://127.0.0.1:{port}", "-s", "base",
                                "-b", "", "namingContexts"], capture_output=True)
        if probe.returncode == 0:
            return
        time.sleep(0.05)
    raise ServiceStartError(f"slapd not ready after {timeout}s:\n{logfile.read_text()}")


def start_slapd(tmpdir: Path, seed_ldif: Path | None = None, port: int | None = None,
                tls: bool = False) -> dict[str, Any]:
    """Start slapd in ``tmpdir`` on 127.0.0.1 and load ``seed_ldif`` (None: tests/fixtures/ldap/seed.ldif).

    Returns ``uri, port, pid, base, admin_dn, admin_pw, process, dir, log`` and, with ``tls=True``,
    ``ldaps_uri, ldaps_port, ca_file`` (StartTLS is then offered on ``uri`` too). Raises
    ``ServiceStartError`` with slapd's log when it does not start or the seed does not load.
    """
    tmpdir = Path(tmpdir)
    (tmpdir / "db").mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    urls = [f"ldap://127.0.0.1:{port}/"]
    tls_conf = ""
    info: dict[str, Any] = {}
    if tls:
        cert, key = _make_cert(tmpdir)
        sport = free_port()
        urls.append(f"ldaps://127.0.0.1:{sport}/")
        tls_conf = f"TLSCertificateFile {cert}\nTLSCertificateKeyFile {key}"
        info.update(ldaps_uri=f"ldaps://127.0.0.1:{sport}", ldaps_port=sport, ca_file=str(cert))
    conf = tmpdir / "slapd.conf"
    conf.write_text(CONF_TEMPLATE.read_text().replace("@DIR@", str(tmpdir)).replace("@TLS@", tls_conf))
    test = subprocess.run([SLAPTEST, "-u", "-f", str(conf)], capture_output=True, text=True)
    if test.returncode != 0:
        raise ServiceStartError(f"slaptest rejected {conf}:\n{test.stdout}{test.stderr}")
    logfile = tmpdir / "slapd.log"
    with open(logfile, "wb") as out:
        # -d 0 keeps slapd in the foreground so the PID we hold is slapd's own.
        proc = subprocess.Popen([SLAPD, "-f", str(conf), "-h", " ".join(urls), "-d", "0"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    info.update(uri=f"ldap://127.0.0.1:{port}", port=port, pid=proc.pid, base=BASE, admin_dn=ADMIN_DN,
                admin_pw=ADMIN_PW, service_dn=SERVICE_DN, service_pw=SERVICE_PW, process=proc,
                dir=str(tmpdir), log=str(logfile))
    try:
        _wait_ready(proc, port, logfile)
        # Online (not slapadd) so memberOf is filled; relax keeps the seed's fixed entryUUIDs.
        seed_ldif = seed_ldif or SEED_LDIF
        seed = subprocess.run(["ldapadd", "-x", "-e", "relax", "-H", info["uri"], "-D", ADMIN_DN, "-w", ADMIN_PW,
                               "-f", str(seed_ldif)], capture_output=True, text=True)
        if seed.returncode != 0:
            raise ServiceStartError(f"seeding {seed_ldif} failed:\n{seed.stdout}{seed.stderr}\n"
                                    f"slapd log:\n{logfile.read_text()}")
    except BaseException:
        stop_slapd(info)
        raise
    log.info("slapd pid %s listening on %s", proc.pid, " ".join(urls))
    return info


def stop_slapd(info: dict[str, Any]) -> None:
    """Stop the slapd started by ``start_slapd`` (its own PID only; SIGTERM, then SIGKILL)."""
    proc: subprocess.Popen = info["process"]
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Blackhole:
    """A TCP listener on 127.0.0.1 that accepts connections and never answers: a hung directory.

    Accepted sockets are held open (never read, never closed) until ``stop()`` so clients see a
    live but silent peer. ``accepted`` counts connections, which lets a test prove that some code
    path never touched the network. Unpacks as ``port, stop = start_blackhole()``.
    """

    def __init__(self, port: int | None = None):
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port or 0))
        self._listener.listen(128)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"blackhole-{self.port}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.accepted += 1
            self._held.append(conn)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(2)
        self._listener.close()
        for conn in self._held:
            conn.close()

    def __iter__(self):
        return iter((self.port, self.stop))


def start_blackhole(port: int | None = None) -> Blackhole:
    """Start a ``Blackhole``; ``port, stop = start_blackhole()`` also works."""
    return Blackhole(port)


def closed_port() -> int:
    """A loopback port with nothing listening: connections are refused at once (a directory that is down)."""
    return free_port()


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.services.slapd [--port N] [--dir D] [--tls]``: a seeded slapd for ``make demo``.

    Prints shell ``export`` lines (LDAP_URI, SLAPD_PID, ...) and runs until interrupted (Ctrl-C / SIGTERM).
    """
    import argparse
    import signal
    import sys
    import tempfile

    parser = argparse.ArgumentParser(description="throwaway seeded slapd")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args(argv)
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="slapd-demo."))
    info = start_slapd(workdir, port=args.port, tls=args.tls)
    print(f"export LDAP_URI={info['uri']} LDAP_PORT={info['port']} SLAPD_PID={info['pid']} SLAPD_DIR={workdir}")
    print(f"export LDAP_BASE='{BASE}' LDAP_BIND_DN='{SERVICE_DN}' LDAP_BIND_PASSWORD='{SERVICE_PW}'")
    if args.tls:
        print(f"export LDAPS_URI={info['ldaps_uri']} LDAP_CA_FILE={info['ca_file']}")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        info["process"].wait()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop_slapd(info)


if __name__ == "__main__":
    main()
