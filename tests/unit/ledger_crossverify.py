#!/usr/bin/python3
"""The kiosk's verifier (handoff-verify) and an independent one written from
docs/LOG-FORMAT.md (ledger_pyverify.py) must agree: both accept a real log with several
segments and a key rotation, and both reject forgeries that fix up the CRC, truncation
against a kept checkpoint, a dropped segment and a foreign key.
usage: ledger_crossverify.py LEDGER_GEN LEDGER_CLI HANDOFF_VERIFY SCRATCH"""
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ledger_pyverify as pv  # noqa: E402

gen, cli, hv, scratch = sys.argv[1:5]
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
log = os.path.join(scratch, "log")
pub = os.path.join(scratch, "pub")
kept = os.path.join(scratch, "kept")
failures = 0


def run(*a, **kw):
    return subprocess.run(list(a), capture_output=True, text=True, **kw)


with open(pub, "w") as f:
    f.write(run(gen, log, "40", "--segmax", "20000").stdout)
r = run(cli, "verify", "--log-dir", log, "--key", pub, "--save-checkpoint", kept)
assert r.returncode == 0, r.stdout + r.stderr
r = run(cli, "rotate-key", "--log-dir", log, "--staff", "admin1")
assert r.returncode == 0, r.stdout + r.stderr
run(gen, log, "25", "--segmax", "20000")
nsegs = len([f for f in os.listdir(log) if f.endswith(".seg")])
assert nsegs >= 3, nsegs


def both(d, expect_ok, what, keyfile=pub, kept_file=kept):
    global failures
    a = run(hv, "--key", keyfile, "--checkpoint", kept_file, d)
    b = run(sys.executable, pv.__file__, "--key", keyfile, "--checkpoint", kept_file, d)
    ok_a, ok_b = a.returncode == 0, b.returncode == 0
    status = "ok" if (ok_a == expect_ok and ok_b == expect_ok) else "MISMATCH"
    if status != "ok":
        failures += 1
    print(f"{status}: {what}: handoff-verify={'OK' if ok_a else 'FAIL'} "
          f"pyverify={'OK' if ok_b else 'FAIL'} | {a.stdout.splitlines()[0] if a.stdout else a.stderr}")


both(log, True, f"real log, {nsegs} segments, one key rotation (old key given)")


def copy():
    d = os.path.join(scratch, "t")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(log, d)
    return d


def segs(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".seg"))


def frames(data):
    (hlen,) = struct.unpack_from("<I", data, 12)
    off = hlen
    while off < len(data):
        (L,) = struct.unpack_from("<I", data, off)
        yield off, L, data[off + 4]
        off += 9 + L


# Forgery with a fixed-up CRC: change a staff id inside an entry of the second segment.
d = copy()
p = segs(d)[1]
data = bytearray(open(p, "rb").read())
for off, L, t in frames(bytes(data)):
    if t == 1:
        body = data[off + 5: off + 5 + L]
        i = body.find(b'UserID="')
        body[i + 8] ^= 0x20
        data[off + 5: off + 5 + L] = body
        struct.pack_into("<I", data, off + 5 + L, pv.crc32c_fast(bytes(data[off: off + 5 + L])))
        break
open(p, "wb").write(data)
both(d, False, "entry altered and CRC recomputed")

# Dropped middle segment.
d = copy()
os.unlink(segs(d)[1])
both(d, False, "middle segment removed")

# Truncation back to an older consistent state, detected with the kept checkpoint.
d = copy()
for s in segs(d)[1:]:
    os.unlink(s)
p = segs(d)[0]
data = open(p, "rb").read()
cps = [off + 9 + L for off, L, t in frames(data) if t == 2]
open(p, "wb").write(data[: cps[len(cps) // 3]])
both(d, False, "truncated below the kept checkpoint")

# A foreign key must not verify the real log.
other = os.path.join(scratch, "other")
with open(os.path.join(scratch, "other.pub"), "w") as f:
    f.write(run(gen, other, "2").stdout)
both(log, False, "someone else's public key", keyfile=os.path.join(scratch, "other.pub"))
print("crossverify:", "PASS" if failures == 0 else f"{failures} disagreement(s)")
sys.exit(1 if failures else 0)
