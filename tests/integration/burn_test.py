#!/usr/bin/env python3
"""burn/ integration tests, judged by tools we did not write (xorriso, isoinfo, mtools,
fsck.fat). Usage: burn_test.py CASE  (BURN_TOOL and HO_WORK from the environment)."""
import os
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from burn_common import (HO_EVERIFY, IMAGE, expect_err, expect_ok, fail, find, flip,  # noqa: E402
                         make_tree, put, run, tool, workdir)

VOLID = "HO_TEST_1"


def chunk_of(tree):
    """32 bytes from the middle of the staged image: unique in the medium."""
    with open(os.path.join(tree, IMAGE), "rb") as f:
        f.seek(150000)
        return f.read(32)


def xorriso_md5(img):
    """Session MD5 and per-file MD5s (AAIP) as recorded by libisofs, checked by xorriso."""
    s = run(["xorriso", "-md5", "on", "-indev", img, "-check_md5", "FAILURE", "--"])
    f = run(["xorriso", "-md5", "on", "-indev", img, "-check_md5_r", "FAILURE", "/", "--"])
    return s, f


def case_optical():
    d = workdir("optical")
    tree, img = os.path.join(d, "tree"), os.path.join(d, "disc.iso")
    make_tree(tree)
    size_out, _ = expect_ok(tool("isosize", tree, VOLID), "isosize")
    _, err = expect_ok(tool("write", "stdio:" + img, tree, VOLID,
                            env={"BURN_TOOL_PROGRESS": "1"}), "write")
    m = re.search(r"last (\d+)", err)
    if not m or int(m.group(1)) != os.path.getsize(img):
        fail("progress did not end at the image size: %s (image %d)" % (err, os.path.getsize(img)))
    if int(size_out) != os.path.getsize(img):
        fail("ho_burn_iso_size %s != written image %d" % (size_out.strip(), os.path.getsize(img)))

    # xorriso finds and checks the MD5 tags libisofs recorded.
    (rc, out, err), (rc2, out2, err2) = xorriso_md5(img)
    if rc != 0 or "session data match recorded md5" not in (out + err).lower():
        fail("xorriso -check_md5 did not pass:\n" + out + err)
    if rc2 != 0 or "md5 checksums match" not in (out2 + err2).lower():
        fail("xorriso -check_md5_r did not pass:\n" + out2 + err2)

    # ISO 9660 level 1 names, exactly as staged plus ";1" (ECMA-119 7.5.1).
    rc, out, err = run(["isoinfo", "-l", "-i", img])
    for n in ["DICOMDIR.;1", "I0000001.;1", "README.TXT;1", "INDEX.HTM;1", "VIEWER.JS;1"]:
        if n not in out:
            fail("isoinfo -l lacks %s:\n%s" % (n, out))
    rc, out, err = run(["isoinfo", "-d", "-i", img])
    if "Volume id: " + VOLID not in out:
        fail("volume id missing:\n" + out)
    if "Rock Ridge signatures" not in out or "Joliet" not in out:
        fail("Rock Ridge / Joliet missing:\n" + out)
    want = sorted(["/DICOMDIR", "/" + IMAGE, "/README.TXT", "/INDEX.HTM", "/VIEWER/VIEWER.JS",
                   "/IHE_PDI/INDEX.HTM"])
    for flag in ("-R", "-J"):
        rc, out, err = run(["isoinfo", "-f", flag, "-i", img])
        # Joliet keeps the ";1" version (as mkisofs does); the name itself must be as staged.
        got = sorted(x[:-2] if x.endswith(";1") else x for x in out.split("\n"))
        got = [x for x in got if x in want]
        if got != want:
            fail("isoinfo -f %s names differ: %s" % (flag, out))
    # Content through a reader we did not write, and world-readable modes in Rock Ridge.
    rc, out, err = run(["isoinfo", "-R", "-i", img, "-x", "/" + IMAGE])
    p = subprocess.run(["isoinfo", "-R", "-i", img, "-x", "/" + IMAGE], stdout=subprocess.PIPE)
    if p.stdout != open(os.path.join(tree, IMAGE), "rb").read():
        fail("isoinfo -x returned different bytes for the image")
    rc, out, err = run(["isoinfo", "-R", "-l", "-i", img])
    if not re.search(r"-r--r--r--.*README\.TXT", out):
        fail("README.TXT is not world-readable on the disc:\n" + out)

    # Our own verify: against the tree and against a written manifest file. libburn and
    # libisofs must not talk on stderr (their messages belong in ho_err).
    _, err = expect_ok(tool("verify", "stdio:" + img, tree), "verify")
    _, err2 = expect_ok(tool("write", "stdio:" + os.path.join(d, "quiet.iso"), tree, VOLID),
                        "quiet write")
    if err.strip() or err2.strip():
        fail("library output on stderr: %r %r" % (err, err2))
    os.unlink(os.path.join(d, "quiet.iso"))
    man = os.path.join(d, "manifest.txt")
    expect_ok(tool("manifest", tree, man), "manifest")
    expect_ok(tool("verify", "stdio:" + img, "@" + man), "verify @manifest")

    # A file staged but missing from the disc, and an extra file on the disc.
    put(tree, "EXTRA.TXT", b"x")
    expect_err(tool("verify", "stdio:" + img, tree), HO_EVERIFY, ["EXTRA.TXT", "missing"],
               "verify with extra staged file")
    os.unlink(os.path.join(tree, "EXTRA.TXT"))
    os.unlink(os.path.join(tree, "README.TXT"))
    expect_err(tool("verify", "stdio:" + img, tree), HO_EVERIFY, ["README.TXT", "not in the"],
               "verify with extra file on disc")

    # One flipped byte inside the image file's data: our verify names it, xorriso fails too.
    bad = os.path.join(d, "bad.iso")
    with open(img, "rb") as f, open(bad, "wb") as g:
        g.write(f.read())
    flip(bad, find(bad, chunk_of(tree)))
    expect_err(tool("verify", "stdio:" + bad, "@" + man), HO_EVERIFY, [IMAGE, "SHA-256"],
               "verify of a damaged disc")
    (rc, out, err), (rc2, out2, err2) = xorriso_md5(bad)
    if rc == 0 or rc2 == 0:
        fail("xorriso did not notice the damaged disc (%d, %d)" % (rc, rc2))

    # Writing again to the same file gives a fresh disc (no stale tail).
    small = os.path.join(d, "small")
    put(small, "DICOMDIR", b"tiny")
    expect_ok(tool("write", "stdio:" + img, small, "SMALL"), "rewrite")
    expect_ok(tool("verify", "stdio:" + img, small), "verify rewrite")
    rc, out, err = run(["isoinfo", "-d", "-i", img])
    if "Volume id: SMALL" not in out:
        fail("rewrite kept the old volume")
    size_out, _ = expect_ok(tool("isosize", small, "SMALL"), "isosize small")
    if int(size_out) != os.path.getsize(img):
        fail("stale bytes after rewrite: %d vs %s" % (os.path.getsize(img), size_out))
    print("ok")


def case_sim():
    """The simulated drive: capacities and pacing (never faster than the medium)."""
    d = workdir("sim")
    tree, img = os.path.join(d, "tree"), os.path.join(d, "disc.iso")
    for media, cap in (("cd", 360000 * 2048), ("dvd", 2298496 * 2048), ("123456789", 123456789)):
        out, _ = expect_ok(tool("capacity", "sim:%s?media=%s" % (img, media)), "capacity")
        if int(out) != cap:
            fail("capacity of %s: %s != %d" % (media, out.strip(), cap))
    out, _ = expect_ok(tool("capacity", "stdio:" + img), "capacity stdio")
    if int(out) <= 0:
        fail("stdio capacity not positive")
    make_tree(tree, image_bytes=4 * 1000 * 1000)
    size = int(expect_ok(tool("isosize", tree, VOLID), "isosize")[0])
    # 4x CD = 614400 B/s: ~6.5 s; the lower bound is what matters (a real drive cannot be
    # faster); the upper bound only catches a runaway.
    addr = "sim:%s?media=cd&speed=4" % img
    t0 = time.monotonic()
    expect_ok(tool("write", addr, tree, VOLID), "sim write")
    tw = time.monotonic() - t0
    t0 = time.monotonic()
    expect_ok(tool("verify", addr, tree), "sim verify")
    tr = time.monotonic() - t0
    want = size / (4 * 153600.0)
    print("image %d bytes, write %.2f s, read %.2f s, medium needs %.2f s each" % (size, tw, tr, want))
    if tw < 0.95 * want or tr < 0.90 * want * (os.path.getsize(os.path.join(tree, IMAGE)) / size):
        fail("the simulated drive is faster than the medium")
    if tw > 3 * want + 5 or tr > 3 * want + 5:
        fail("the simulated drive is far slower than its speed")
    rc, out, err = run(["xorriso", "-md5", "on", "-indev", img, "-check_md5", "FAILURE", "--"])
    if rc != 0:
        fail("sim disc fails xorriso check")
    print("ok")


def case_usb():
    d = workdir("usb")
    tree, img = os.path.join(d, "tree"), os.path.join(d, "stick.img")
    make_tree(tree)
    with open(img, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    expect_ok(tool("usb-write", img, tree, "HO_TEST_1"), "usb-write")
    # MBR: one partition, type 0x0C (FAT32 LBA) at sector 2048, boot signature.
    with open(img, "rb") as f:
        mbr = f.read(512)
    if mbr[510:512] != b"\x55\xaa" or mbr[446 + 4] != 0x0C:
        fail("MBR signature or partition type wrong")
    start, count = struct.unpack("<II", mbr[446 + 8:446 + 16])
    if start != 2048 or start + count != 64 * 2048 or any(mbr[462:510]):
        fail("partition table not one partition over the stick: %d %d" % (start, count))
    spec = "%s@@%d" % (img, start * 512)
    env = {"MTOOLS_SKIP_CHECK": "1"}
    rc, out, err = run(["mdir", "-i", spec, "-/", "-b", "::"], env=env)
    names = sorted(x[3:] for x in out.split("\n") if x.startswith("::/") and not x.endswith("/"))
    want = sorted(["DICOMDIR", IMAGE, "README.TXT", "INDEX.HTM", "VIEWER/VIEWER.JS",
                   "IHE_PDI/INDEX.HTM"])
    if names != want:
        fail("mdir lists %s" % names)
    rc, out, err = run(["minfo", "-i", spec, "::"], env=env)
    if "HO_TEST_1" not in out and "HO_TEST_1" not in run(["mlabel", "-i", spec, "-s", "::"], env=env)[1]:
        fail("volume label missing")
    # fsck.fat on the partition (extracted; fsck.fat has no offset option).
    part = os.path.join(d, "part.img")
    with open(img, "rb") as f, open(part, "wb") as g:
        f.seek(start * 512)
        g.write(f.read())
    rc, out, err = run(["fsck.fat", "-n", "-v", part])
    if rc != 0:
        fail("fsck.fat -n failed:\n" + out + err)
    if "32 bit entries" not in out:
        fail("not FAT32:\n" + out)
    os.unlink(part)
    p = subprocess.run(["mcopy", "-i", spec, "::/" + IMAGE, "-"], stdout=subprocess.PIPE,
                       env=dict(os.environ, **env))
    if p.stdout != open(os.path.join(tree, IMAGE), "rb").read():
        fail("mcopy returned different bytes")
    expect_ok(tool("usb-verify", img, tree), "usb-verify")
    man = os.path.join(d, "manifest.txt")
    expect_ok(tool("manifest", tree, man), "manifest")
    flip(img, find(img, chunk_of(tree)))
    expect_err(tool("usb-verify", img, "@" + man), HO_EVERIFY, [IMAGE, "SHA-256"],
               "usb-verify of a damaged stick")
    put(tree, "EXTRA.TXT", b"x")
    expect_err(tool("usb-verify", img, tree), HO_EVERIFY, ["EXTRA.TXT"], "usb extra")
    print("ok")


CASES = {"optical": case_optical, "sim": case_sim, "usb": case_usb}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: burn_test.py %s" % "|".join(CASES))
        sys.exit(2)
    CASES[sys.argv[1]]()
