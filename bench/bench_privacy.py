"""Cost of recording disclosures: userinfo and code-flow throughput without and with the privacy
centre (target: at most 15 % less).

    .venv/bin/python bench/bench_privacy.py [--seconds 8]

Checks out the commit that added the privacy centre and its parent into temporary worktrees, so
nothing but that change differs, and measures both twice, alternating.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from common import ROOT

AFTER = "Privacy centre: purpose-bound release policies"


def run(tree: str, seconds: int) -> str:
    env = {**os.environ, "BENCH_TREE": tree, "BENCH_PLAIN": "1"}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_core.py"), "--seconds", str(seconds),
                          "--only", "userinfo,code"], env=env, capture_output=True, text=True, check=True).stdout
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    args = ap.parse_args()
    after = subprocess.run(["git", "log", "--format=%H", f"--grep={AFTER}", "-n", "1"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.strip()
    trees = {}
    try:
        for label, commit in (("without", f"{after}~1"), ("with", after)):
            trees[label] = tempfile.mkdtemp(prefix=f"gw-{label}.")
            subprocess.run(["git", "worktree", "add", "--detach", trees[label], commit], cwd=ROOT, check=True,
                           capture_output=True)
        for label in ("without", "with", "without", "with"):
            print(f"--- {label} disclosure recording")
            print("\n".join(line for line in run(trees[label], args.seconds).splitlines() if "/s" in line))
    finally:
        for tree in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
