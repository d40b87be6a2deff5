"""Data sets of every type and encoding, for the RDB compatibility check
and the RDB fixtures: written with plain commands so Redis and Moon can
both be filled with them."""

import random

# Far in the future, so a fixture's expires never pass (2100-01-01).
FAR_MS = 4102444800000


def fixed_commands():
    """Every type in every encoding, expires, field TTLs, several dbs."""
    c = []
    add = c.append
    add(["SELECT", "0"])
    add(["SET", "str:int", "12345"])
    add(["SET", "str:neg", "-7"])
    add(["SET", "str:bigint", "123456789012345"])
    add(["SET", "str:short", "hello"])
    add(["SET", "str:empty", ""])
    add(["SET", "str:lzf", "abcdefghij" * 40])
    add(["SET", "str:incompressible", "".join(chr(33 + (i * 7919) % 90) for i in range(64))])
    add(["SET", "str:expire", "v"])
    add(["PEXPIREAT", "str:expire", str(FAR_MS)])
    add(["RPUSH", "list:lp", "a", "b", "1", "-2", "300000", "x" * 70])
    add(["RPUSH", "list:ql"] + ["elem-%d" % i for i in range(1500)])
    add(["RPUSH", "list:plain", "small", "L" * 9000, "tail"])
    add(["HSET", "hash:lp", "f1", "v1", "f2", "2", "f3", "x" * 30])
    add(["HSET", "hash:ht"] + [x for i in range(200) for x in ("field%d" % i, "value%d" % i)])
    add(["HSET", "hash:lpex", "a", "1", "b", "2", "c", "3", "d", "4"])
    add(["HPEXPIREAT", "hash:lpex", str(FAR_MS), "FIELDS", "2", "b", "d"])
    add(["HPEXPIREAT", "hash:lpex", str(FAR_MS - 1000), "FIELDS", "1", "a"])
    add(["HSET", "hash:htex"] + [x for i in range(300) for x in ("f%d" % i, "v%d" % i)])
    add(["HPEXPIREAT", "hash:htex", str(FAR_MS), "FIELDS", "3", "f1", "f2", "f3"])
    add(["SADD", "set:int16", "1", "2", "3", "-5"])
    add(["SADD", "set:int64", "1", "5000000000", "-9000000000000"])
    add(["SADD", "set:lp", "a", "b", "c", "1"])
    add(["SADD", "set:ht"] + ["m%d" % i for i in range(600)])
    add(["SADD", "set:bigint"] + [str(i) for i in range(1000)])
    add(["ZADD", "zset:lp", "1", "a", "2.5", "b", "-3", "c", "1e20", "d", "inf", "e", "-inf", "f"])
    add(["ZADD", "zset:sk"] + [x for i in range(300) for x in (str(i * 0.25), "member%d" % i)])
    add(["ZADD", "zset:long", "1", "y" * 100])
    # Streams: shared and own field names (SAMEFIELDS or not), numeric
    # fields, deleted entries, several blocks, consumer groups with
    # pending entries and consumers, an emptied stream and one made by
    # MKSTREAM.
    add(["XADD", "stream:small", "1-1", "a", "1", "b", "2"])
    add(["XADD", "stream:small", "1-2", "a", "3", "b", "x" * 30])
    add(["XADD", "stream:small", "2-0", "c", "5"])
    add(["XADD", "stream:small", "3-0", "7", "-8", "a", "y" * 80])
    add(["XADD", "stream:small", "4-0", "a", "1", "b", "2"])
    add(["XDEL", "stream:small", "1-2"])
    add(["XGROUP", "CREATE", "stream:small", "g1", "0"])
    add(["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "stream:small", ">"])
    add(["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "stream:small", ">"])
    add(["XACK", "stream:small", "g1", "1-1"])
    add(["XGROUP", "CREATE", "stream:small", "12345", "$"])
    add(["XGROUP", "CREATECONSUMER", "stream:small", "12345", "idle"])
    for i in range(350):
        add(["XADD", "stream:big", "%d-%d" % (1000 + i // 3, i % 3), "field", str(i), "v", "val%d" % i] + (["extra", "e"] if i % 50 == 0 else []))
    add(["XDEL", "stream:big", "1000-0", "1010-1", "1100-2"])
    add(["XTRIM", "stream:big", "MINID", "1005-0"])
    add(["XGROUP", "CREATE", "stream:big", "readers", "1050-0"])
    add(["XREADGROUP", "GROUP", "readers", "c1", "COUNT", "20", "STREAMS", "stream:big", ">"])
    add(["XCLAIM", "stream:big", "readers", "c2", "0", "1050-1", "1050-2"])
    add(["XADD", "stream:emptied", "5-5", "f", "v"])
    add(["XDEL", "stream:emptied", "5-5"])
    add(["XGROUP", "CREATE", "stream:mk", "g", "$", "MKSTREAM"])
    add(["SELECT", "1"])
    add(["SET", "db1:str", "in db 1"])
    add(["RPUSH", "db1:list", "1", "2"])
    add(["PEXPIREAT", "db1:list", str(FAR_MS)])
    add(["SELECT", "9"])
    add(["HSET", "db9:hash", "k", "v"])
    add(["SELECT", "0"])
    return c


def random_commands(seed, n=400):
    """Random keys of every type (values and sizes drawn from `seed`)."""
    r = random.Random(seed)
    c = []

    def val():
        k = r.random()
        if k < 0.3:
            return str(r.randint(-10 ** r.randint(1, 18), 10 ** r.randint(1, 18)))
        if k < 0.4:
            return "z" * r.randint(21, 300)
        return "".join(r.choice("abcdefgh") for _ in range(r.randint(0, 40)))

    for i in range(n):
        t = r.choice(["str", "list", "hash", "set", "zset", "stream"])
        key = "%s:%d" % (t, i)
        size = r.choice([1, 3, 10, 100, 700])
        if t == "str":
            c.append(["SET", key, val()])
        elif t == "list":
            c.append(["RPUSH", key] + [val() for _ in range(size)])
        elif t == "hash":
            c.append(["HSET", key] + [x for j in range(size) for x in ("f%d" % j, val())])
            if r.random() < 0.3:
                c.append(["HPEXPIREAT", key, str(FAR_MS - r.randint(0, 10 ** 6)), "FIELDS", "1", "f0"])
        elif t == "set":
            if r.random() < 0.5:
                c.append(["SADD", key] + [str(r.randint(-10 ** 6, 10 ** 12)) for _ in range(size)])
            else:
                c.append(["SADD", key] + [val() for _ in range(size)])
        elif t == "stream":
            for j in range(size):
                c.append(["XADD", key, "*"] + [x for f in range(r.randint(1, 3)) for x in ("f%d" % f, val())])
            if r.random() < 0.5:
                c.append(["XGROUP", "CREATE", key, "g", "0"])
                c.append(["XREADGROUP", "GROUP", "g", "c%d" % r.randint(0, 2), "COUNT", str(r.randint(1, 5)), "STREAMS", key, ">"])
        else:
            # Scores of few digits: Moon's double formatting (moon_resp) can
            # differ from Redis' grisu2 in the last of 16-17 digits, which
            # DEBUG DIGEST hashes; that is not an RDB matter.
            c.append(["ZADD", key] + [x for j in range(size) for x in (str(r.randint(-10 ** 6, 10 ** 6) + r.choice([0, 0.5, 0.25, 0.125])) if r.random() < 0.7 else str(r.randint(-100, 100)), "m%d" % j)])
        if r.random() < 0.2:
            c.append(["PEXPIREAT", key, str(FAR_MS + r.randint(0, 10 ** 6))])
        if r.random() < 0.1:
            db = str(r.randint(1, 15))
            c.append(["MOVE", key, db])
    return c


def run(conn, commands):
    """Send commands, failing on any error reply."""
    for argv in commands:
        reply = conn.call([a.encode() for a in argv])
        if reply.raw.startswith(b"-"):
            raise RuntimeError("%s -> %r" % (" ".join(argv)[:80], reply.raw))
