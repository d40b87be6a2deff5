#!/usr/bin/env python3
"""Regenerate crates/persist/tests/fixtures/ with the reference Redis 8.2:

- all_types.rdb: every type and encoding (scripts/diffkit/rdbdata.py's
  fixed data set: int/embstr/raw/LZF strings, listpack/quicklist/plain-node
  lists, listpack/listpackex/hashtable hashes with field TTLs, intset/
  listpack/hashtable sets, listpack/skiplist sorted sets, expires, keys in
  databases 0, 1 and 9), saved under an LFU policy (FREQ records);
- all_types.digest: Redis' DEBUG DIGEST of that data;
- lru.rdb: the same data saved under an LRU policy (IDLE records).

Expire times are far in the future so the fixtures stay valid.

    python3 scripts/make_rdb_fixtures.py
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diffkit import rdbdata, servers  # noqa: E402
from diffkit.resp import Conn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "persist", "tests", "fixtures")


def save(policy, name):
    s = servers.reference_server(servers.reference_binary())
    base = s.argv_for_port
    s.argv_for_port = lambda port: base(port) + ["--maxmemory-policy", policy, "--hash-max-listpack-entries", "128"]
    s.argv = s.argv_for_port(s.port)
    s.start()
    try:
        c = Conn(s.port, timeout=60)
        rdbdata.run(c, rdbdata.fixed_commands())
        digest = c.call([b"DEBUG", b"DIGEST"]).raw[1:-2].decode()
        if c.call([b"SAVE"]).raw != b"+OK\r\n":
            raise RuntimeError("SAVE failed")
        shutil.copy(os.path.join(s.workdir, "dump.rdb"), os.path.join(OUT, name))
        return digest
    finally:
        s.stop()


def main():
    os.makedirs(OUT, exist_ok=True)
    d = save("allkeys-lfu", "all_types.rdb")
    with open(os.path.join(OUT, "all_types.digest"), "w") as f:
        f.write(d + "\n")
    if save("allkeys-lru", "lru.rdb") != d:
        raise RuntimeError("the two saves hold different data")
    print("wrote %s (digest %s)" % (OUT, d))


if __name__ == "__main__":
    main()
