"""Cost of recording disclosures: userinfo and code-flow token throughput before and after the
privacy centre (target: at most 15 % less).

    .venv/bin/python bench/bench_privacy.py [--before COMMIT] [--seconds 8]

Checks out COMMIT (default: the last commit before the privacy centre) into a temporary
worktree, runs the same measurements against it and against this tree, and prints both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from common import ROOT

BEFORE = "Logout: a fresh logout token per delivery attempt"


def run(tree: str, seconds: int) -> str:
    env = {**os.environ, "BENCH_TREE": tree}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_core.py"), "--seconds", str(seconds),
                          "--only", "userinfo,code"], env=env, capture_output=True, text=True, check=True).stdout
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before")
    ap.add_argument("--seconds", type=int, default=8)
    args = ap.parse_args()
    commit = args.before or subprocess.run(["git", "log", "--format=%H", f"--grep={BEFORE}", "-n", "1"], cwd=ROOT,
                                           capture_output=True, text=True, check=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="gw-before.")
    subprocess.run(["git", "worktree", "add", "--detach", tmp, commit], cwd=ROOT, check=True, capture_output=True)
    try:
        results = {}
        for label, tree in (("before", tmp), ("after", str(ROOT)), ("before (again)", tmp),
                            ("after (again)", str(ROOT))):
            results[label] = run(tree, args.seconds)
            print(f"--- {label} ({'commit ' + commit[:10] if tree == tmp else 'this tree'})")
            print("\n".join(line for line in results[label].splitlines() if "/s" in line))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", tmp], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
