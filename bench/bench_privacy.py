"""Cost of recording disclosures: userinfo and code-flow throughput without and with the
disclosure log (target: at most 15 % less).

    .venv/bin/python bench/bench_privacy.py [--seconds 8]

Checks HEAD out twice into temporary worktrees and removes the one line that records a release
from one of them, so nothing else differs; measures both twice, alternating.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from common import ROOT

RECORD_LINE = "        self.disclosures.record(user.user_id, client.client_id, channel, bases)\n"


def run(tree: str, seconds: int) -> str:
    env = {**os.environ, "BENCH_TREE": tree}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_core.py"), "--seconds", str(seconds),
                          "--only", "userinfo,code"], env=env, capture_output=True, text=True, check=True).stdout
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    args = ap.parse_args()
    trees = {}
    try:
        for label in ("without", "with"):
            trees[label] = tempfile.mkdtemp(prefix=f"gw-{label}.")
            subprocess.run(["git", "worktree", "add", "--detach", trees[label], "HEAD"], cwd=ROOT, check=True,
                           capture_output=True)
        services = os.path.join(trees["without"], "gateway", "services.py")
        source = open(services, encoding="utf-8").read()
        assert RECORD_LINE in source, "the recording line moved: update RECORD_LINE"
        open(services, "w", encoding="utf-8").write(source.replace(RECORD_LINE, ""))
        for label in ("without", "with", "without", "with"):
            print(f"--- {label} disclosure recording")
            print("\n".join(line for line in run(trees[label], args.seconds).splitlines() if "/s" in line))
    finally:
        for tree in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
