#!/usr/bin/python3
"""An independent verifier of the Handoff signed log, written from docs/LOG-FORMAT.md
alone (it shares no code with core/ledger_verify.c). Used by the test suite to show that
the format description is sufficient and that both verifiers agree.

usage: ledger_pyverify.py --key VKEYFILE [--checkpoint KEPT] LOGDIR
exit: 0 verified, 2 does not verify (reason on stdout)
"""
import argparse
import base64
import hashlib
import os
import re
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Bad(Exception):
    pass


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


_T = []


def crc32c_fast(data):
    if not _T:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
            _T.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = (crc >> 8) ^ _T[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


def sha(b):
    return hashlib.sha256(b).digest()


def keyhash(name, pub):
    return sha(name.encode() + b"\n\x01" + pub)[:4]


class Key:
    def __init__(self, line):
        m = re.fullmatch(r"([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)", line.strip())
        if not m:
            raise Bad("bad verifier key")
        raw = base64.b64decode(m.group(3), validate=True)
        if len(raw) != 33 or raw[0] != 1:
            raise Bad("bad verifier key")
        self.name, self.pub = m.group(1), raw[1:]
        self.id = keyhash(self.name, self.pub)
        if self.id.hex() != m.group(2):
            raise Bad("verifier key hash mismatch")


class Tree:
    def __init__(self):
        self.size, self.peaks = 0, []

    def push(self, leaf):
        cur, s = leaf, self.size
        while s & 1:
            cur = sha(b"\x01" + self.peaks.pop() + cur)
            s >>= 1
        self.peaks.append(cur)
        self.size += 1

    def root(self):
        if not self.peaks:
            return sha(b"")
        r = self.peaks[-1]
        for p in reversed(self.peaks[:-1]):
            r = sha(b"\x01" + p + r)
        return r


def parse_note(b):
    if not b.endswith(b"\n"):
        raise Bad("note does not end in newline")
    i = b.rfind(b"\n\n")
    if i < 0:
        raise Bad("note has no signatures")
    text, sigs = b[: i + 1], []
    for line in b[i + 2:].split(b"\n")[:-1]:
        if not line.startswith("\u2014 ".encode()):
            raise Bad("bad signature line")
        name, _, s = line[4:].decode().partition(" ")
        blob = base64.b64decode(s, validate=True)
        sigs.append((name, blob[:4], blob[4:]))
    if not sigs:
        raise Bad("note has no signatures")
    lines = text.decode().split("\n")
    if len(lines) < 4 or not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise Bad("bad checkpoint")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise Bad("bad checkpoint root")
    return text, sigs, lines[0], int(lines[1]), root


def sig_ok(text, sigs, key):
    found = False
    for name, kid, sig in sigs:
        if name == key.name and kid == key.id:
            try:
                Ed25519PublicKey.from_public_bytes(key.pub).verify(sig, text)
            except InvalidSignature:
                return False
            found = True
    return found


def detail(body, typ):
    m = re.search(rb'type="' + typ.encode() + rb'" value="([^"]*)"', body)
    return base64.b64decode(m.group(1)).decode() if m else None


def verify(logdir, trusted, kept=None):
    segs = sorted(f for f in os.listdir(logdir) if re.fullmatch(r"[0-9]{20}\.seg", f))
    if not segs:
        raise Bad("no segments")
    keys = {k.id: [k, True] for k in trusted}
    tree, last_seq, cur, origin = Tree(), 0, None, None
    last_cp, last_was_cp, pending = None, False, None
    kept_ok = kept is None
    if kept is not None:
        _, _, k_origin, k_size, k_root = parse_note(kept)
        kept_ok = k_size == 0
    for si, name in enumerate(segs):
        data = open(os.path.join(logdir, name), "rb").read()
        if data[:8] != b"HOLOGSG1":
            raise Bad(f"{name}: bad magic")
        ver, hlen, first, tsize = struct.unpack_from("<IIQQ", data, 8)
        kid = data[32:36]
        (np_,) = struct.unpack_from("<I", data, 36)
        if ver != 1 or hlen != 44 + 32 * np_ or len(data) < hlen:
            raise Bad(f"{name}: bad header")
        if crc32c_fast(data[: hlen - 4]) != struct.unpack_from("<I", data, hlen - 4)[0]:
            raise Bad(f"{name}: header CRC")
        peaks = [data[40 + 32 * i: 72 + 32 * i] for i in range(np_)]
        if name != "%020d.seg" % first or first <= last_seq or (si == 0 and first != 1):
            raise Bad(f"{name}: first seq")
        if tsize != tree.size or peaks != tree.peaks:
            raise Bad(f"{name}: tree state")
        if si == 0:
            cur = kid
        elif kid != cur:
            raise Bad(f"{name}: key id")
        off, first_entry = hlen, True
        while off < len(data):
            if len(data) - off < 9:
                raise Bad(f"{name}@{off}: short frame")
            (L,) = struct.unpack_from("<I", data, off)
            if L == 0 or L > 524328 or off + 9 + L > len(data):
                raise Bad(f"{name}@{off}: bad length")
            typ, payload = data[off + 4], data[off + 5: off + 5 + L]
            if crc32c_fast(data[off: off + 5 + L]) != struct.unpack_from("<I", data, off + 5 + L)[0]:
                raise Bad(f"{name}@{off}: CRC")
            if typ == 1:
                if pending:
                    raise Bad(f"{name}@{off}: rotation without checkpoint")
                if L < 40:
                    raise Bad(f"{name}@{off}: envelope")
                v, kind, tsrc, rsv = payload[:4]
                ekid = payload[4:8]
                seq, boot, blen = struct.unpack_from("<QII", payload, 8)
                if v != 1 or rsv != 0 or not 1 <= kind <= 10 or tsrc > 3 or seq == 0 or blen != L - 40:
                    raise Bad(f"{name}@{off}: envelope")
                if seq != last_seq + 1 and not (kind == 10 and seq > last_seq):
                    raise Bad(f"{name}@{off}: sequence {seq} after {last_seq}")
                if first_entry and seq != first:
                    raise Bad(f"{name}@{off}: first entry seq")
                first_entry = False
                body = payload[40:]
                if kind == 9:
                    old, new = Key(detail(body, "HandoffOldVerifierKey")), Key(detail(body, "HandoffNewVerifierKey"))
                    if old.id != cur or new.id != ekid:
                        raise Bad(f"{name}@{off}: rotation key ids")
                    for k in (old, new):
                        keys.setdefault(k.id, [k, False])
                    pending = (old.id, new.id)
                elif ekid != cur:
                    raise Bad(f"{name}@{off}: entry key id")
                if tree.size == 0 and kind == 6 and detail(body, "HandoffLogCreated"):
                    k0 = Key(detail(body, "HandoffLogCreated"))
                    keys.setdefault(k0.id, [k0, False])
                tree.push(sha(b"\x00" + payload))
                last_seq, cur, last_was_cp = seq, ekid, False
                if kept is not None and tree.size == k_size:
                    if tree.root() != k_root:
                        raise Bad(f"rewritten: first {k_size} entries differ from kept checkpoint")
                    kept_ok = True
            elif typ == 2:
                text, sigs, org, size, root = parse_note(payload)
                if origin is None:
                    origin = org
                elif org != origin:
                    raise Bad("origin changed")
                if size != tree.size or root != tree.root():
                    raise Bad(f"{name}@{off}: checkpoint does not match entries")
                if pending:
                    ko, kn = keys[pending[0]], keys[pending[1]]
                    if not (sig_ok(text, sigs, ko[0]) and sig_ok(text, sigs, kn[0])):
                        raise Bad(f"{name}@{off}: rotation signatures")
                    if ko[1] or kn[1]:
                        ko[1] = kn[1] = True
                    pending = None
                last_cp, last_was_cp = (text, sigs), True
            else:
                raise Bad(f"{name}@{off}: frame type")
            off += 9 + L
    if tree.size == 0 or not last_was_cp:
        raise Bad("log does not end with a checkpoint of all entries")
    if kept is not None:
        if k_origin != origin:
            raise Bad("kept checkpoint is for another log")
        if k_size > tree.size:
            raise Bad(f"truncated: kept checkpoint has {k_size} entries, log {tree.size}")
        if not kept_ok:
            raise Bad("kept checkpoint not matched")
    if not any(t and sig_ok(last_cp[0], last_cp[1], k) for k, t in keys.values()):
        raise Bad("last checkpoint not signed by a trusted key")
    return tree.size, last_seq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", action="append", required=True)
    ap.add_argument("--checkpoint")
    ap.add_argument("logdir")
    a = ap.parse_args()
    try:
        keys = [Key(open(k).read()) for k in a.key]
        kept = open(a.checkpoint, "rb").read() if a.checkpoint else None
        n, last = verify(a.logdir, keys, kept)
    except (Bad, ValueError, struct.error, KeyError, UnicodeDecodeError) as e:
        print("FAILED:", e)
        return 2
    print(f"OK: {n} entries, last seq {last}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
