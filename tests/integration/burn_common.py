"""Shared helpers for the burn/ tests (integration and fault): a small PDI-shaped tree, the
burn_tool driver, and byte flipping. The judges are tools we did not write."""
import os
import shutil
import subprocess
import sys

TOOL = os.environ.get("BURN_TOOL", "burn_tool")
WORK = os.environ.get("HO_WORK", "/tmp/ho-burn-test")

# Paths as core/ stages them (IHE PDI, PS3.10 8.2 file IDs).
IMAGE = "DICOM/P0000001/S0000001/SE000001/I0000001"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def workdir(case):
    d = os.path.join(WORK, case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def put(root, rel, data):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)


def make_tree(root, image_bytes=300000, seed=1):
    """A file-set shaped like the medium: DICOMDIR, one image, README, viewer, PDI page."""
    rnd = bytearray()
    x = seed
    while len(rnd) < image_bytes:
        # Deterministic filler (xorshift) so a byte can be located later.
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        rnd += x.to_bytes(4, "little")
    put(root, "DICOMDIR", b"\0" * 128 + b"DICM" + b"dicomdir-body-" * 50)
    put(root, IMAGE, b"\0" * 128 + b"DICM" + bytes(rnd[:image_bytes]))
    put(root, "README.TXT", b"This disc holds medical images.\r\n")
    put(root, "INDEX.HTM", b"<!DOCTYPE html><title>Viewer</title>\n")
    put(root, "VIEWER/VIEWER.JS", b"/* viewer */\n")
    put(root, "IHE_PDI/INDEX.HTM", b"<html></html>\n")
    os.chmod(os.path.join(root, "README.TXT"), 0o600)


def run(args, env=None, timeout=600):
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def tool(*args, env=None):
    return run([TOOL] + list(args), env=env)


def expect_ok(res, what):
    rc, out, err = res
    if rc != 0:
        fail("%s: rc %d\n%s%s" % (what, rc, out, err))
    return out, err


def expect_err(res, code, words, what):
    """code: the HO_E* value as exit status (burn_tool exits with -code)."""
    rc, out, err = res
    if rc != code:
        fail("%s: expected exit %d, got %d\n%s%s" % (what, code, rc, out, err))
    for w in words:
        if w.lower() not in err.lower():
            fail("%s: message lacks %r: %s" % (what, w, err))
    return err


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


def find(path, needle, start=0):
    with open(path, "rb") as f:
        data = f.read()
    o = data.find(needle, start)
    if o < 0:
        fail("marker not found in %s" % path)
    return o


HO_EINVAL, HO_ENOTFOUND, HO_EIO, HO_ETOOBIG, HO_EDEVICE, HO_EVERIFY = 1, 6, 3, 9, 10, 11
