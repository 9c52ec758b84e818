"""How many ES256 access tokens per second AccessTokenVerifier checks on one core.

    python clients/python/bench/bench_verify.py [N]

The JWKS is preloaded (after its first fetch a real verifier makes no network
call either), so this measures signature + claim checks only. Printed:

* the raw P-256 ECDSA verify rate of this machine's OpenSSL (the ceiling),
* the verifier with the signature checked on every call (``cache_size=0``, the default),
* the verifier with ``cache_size=10000`` and 1,000 distinct tokens each presented 20 times
  (a resource server seeing the same bearer token on consecutive requests).

Target: >= 10,000/s.
"""

from __future__ import annotations

import os
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from sso_client import AccessTokenVerifier, Discovery

ISSUER = "https://sso.bench.invalid"


def rate(label: str, n: int, func) -> float:
    start = time.perf_counter()
    func()
    per_s = n / (time.perf_counter() - start)
    print(f"{label:<58} {per_s:>10,.0f}/s")
    return per_s


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    key = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig", "alg": "ES256"})
    discovery = Discovery.from_documents(
        {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"}, KeySet([key]).as_dict(private=False)
    )
    now = int(time.time())

    def mint(i: int) -> str:
        return jwt.encode(
            {"alg": "ES256", "typ": "at+jwt", "kid": "ec-1"},
            {"iss": ISSUER, "sub": f"u-{i}", "aud": "https://api.example", "client_id": "portal",
             "scope": "openid permits.read", "jti": f"j{i}", "iat": now, "exp": now + 3600},
            key,
        )

    token = mint(0)
    tokens = [mint(i) for i in range(1000)]

    # the ceiling: OpenSSL alone
    raw_key = ec.generate_private_key(ec.SECP256R1())
    msg = token.rsplit(".", 1)[0].encode()
    sig = raw_key.sign(msg, ec.ECDSA(hashes.SHA256()))
    pub = raw_key.public_key()
    rate("raw OpenSSL P-256 ECDSA verify (cryptography)", n,
         lambda: [pub.verify(sig, msg, ec.ECDSA(hashes.SHA256())) for _ in range(n)])

    plain = AccessTokenVerifier(ISSUER, audience="https://api.example", discovery=discovery)
    for _ in range(200):
        plain.verify(token, "permits.read")
    rate("AccessTokenVerifier, signature checked every call", n,
         lambda: [plain.verify(token, "permits.read") for _ in range(n)])

    cached = AccessTokenVerifier(ISSUER, audience="https://api.example", discovery=discovery, cache_size=10_000)
    m = 20 * len(tokens)
    rate("AccessTokenVerifier, cache_size=10000, 1000 tokens x 20", m,
         lambda: [cached.verify(t, "permits.read") for _ in range(20) for t in tokens])


if __name__ == "__main__":
    main()
