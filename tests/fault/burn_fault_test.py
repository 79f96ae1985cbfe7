#!/usr/bin/env python3
"""burn/ fault tests: every simulated drive fault and every unusable address or stick must
fail with a clear HO_E* code and message, and leave nothing behind (a half-written image
file on the kiosk's disk is patient data). Usage: burn_fault_test.py CASE"""
import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from burn_common import (HO_EDEVICE, HO_EINVAL, HO_EIO, HO_ENOTFOUND, HO_ETOOBIG,  # noqa: E402
                         HO_EVERIFY, expect_err, expect_ok, fail, make_tree, put, tool, workdir)


def no_leftovers(d, allowed):
    left = sorted(os.path.relpath(p, d) for p in glob.glob(os.path.join(d, "*")))
    extra = [x for x in left if x not in allowed]
    if extra:
        fail("left behind: %s" % extra)


def setup(case, mb=0.3):
    d = workdir("fault-" + case)
    tree = os.path.join(d, "tree")
    make_tree(tree, image_bytes=int(mb * 1000 * 1000))
    return d, tree, os.path.join(d, "disc.iso")


def case_tray_open():
    d, tree, img = setup("tray")
    a = "sim:%s?fault=tray-open" % img
    expect_err(tool("write", a, tree, "V"), HO_EDEVICE, ["tray is open"], "write")
    expect_err(tool("capacity", a), HO_EDEVICE, ["tray is open"], "capacity")
    expect_err(tool("verify", a, tree), HO_EDEVICE, ["tray is open"], "verify")
    no_leftovers(d, ["tree"])


def case_no_disc():
    d, tree, img = setup("nodisc")
    a = "sim:%s?fault=no-disc" % img
    expect_err(tool("write", a, tree, "V"), HO_EDEVICE, ["no disc"], "write")
    expect_err(tool("capacity", a), HO_EDEVICE, ["no disc"], "capacity")
    no_leftovers(d, ["tree"])


def case_too_small():
    d, tree, img = setup("small")
    expect_err(tool("write", "sim:%s?fault=too-small" % img, tree, "V"), HO_ETOOBIG,
               ["holds only", "larger disc"], "too-small fault")
    # An explicit medium size: 1 MB blank, 2 MB file-set.
    d2, tree2, img2 = setup("small2", mb=2)
    expect_err(tool("write", "sim:%s?media=1000000&speed=0" % img2, tree2, "V"), HO_ETOOBIG,
               ["holds only 1.0 MB"], "1 MB medium")
    no_leftovers(d, ["tree"])
    no_leftovers(d2, ["tree"])


def case_write_error():
    d, tree, img = setup("werr", mb=2)
    expect_err(tool("write", "sim:%s?fault=write-error&speed=0" % img, tree, "V"), HO_EIO,
               ["failed while writing", "destroy it"], "write-error")
    no_leftovers(d, ["tree"])
    # An existing medium file is left as a blank (empty), not half-written.
    put(d, "disc.iso", b"old")
    expect_err(tool("write", "sim:%s?fault=write-error&fault_at=100000&speed=0" % img, tree, "V"),
               HO_EIO, ["failed while writing"], "write-error at")
    if os.path.getsize(img) != 0:
        fail("half-written medium file kept its data (%d bytes)" % os.path.getsize(img))


def case_read_error():
    d, tree, img = setup("rerr", mb=2)
    a = "sim:%s?fault=read-error&speed=0" % img
    expect_ok(tool("write", a, tree, "V"), "write")
    expect_err(tool("verify", a, tree), HO_EIO, ["failed while reading", "destroy"], "verify")
    expect_ok(tool("verify", "sim:%s?speed=0" % img, tree), "verify without the fault")


def case_bad_address():
    d, tree, img = setup("addr")
    for addr, code, words in [
        ("stdio:/nonexistent/dir/x.iso", HO_EDEVICE, ["/nonexistent/dir/x.iso", "does not exist"]),
        ("sim:/nonexistent/dir/x.iso?media=cd", HO_EDEVICE, ["/nonexistent/dir/x.iso"]),
        ("stdio:/dev/null", HO_EDEVICE, ["not an image file"]),
        ("/dev/null", HO_EDEVICE, ["cannot open the drive"]),
        ("/dev/ho-no-such-drive", HO_EDEVICE, ["cannot open the drive"]),
        ("garbage", HO_EDEVICE, ["not a drive address", "stdio:"]),
        ("", HO_EDEVICE, ["no drive"]),
        ("stdio:" + d, HO_EDEVICE, ["not an image file"]),
        ("stdio:relative.iso", HO_EDEVICE, ["not a drive address"]),
        ("sim:%s?media=floppy" % img, HO_EDEVICE, ["setting we do not know"]),
        ("sim:%s?fault=fire" % img, HO_EDEVICE, ["setting we do not know"]),
        ("sim:%s?speed=fast" % img, HO_EDEVICE, ["setting we do not know"]),
    ]:
        expect_err(tool("write", addr, tree, "V"), code, words, "write to %r" % addr)
        # core/ probes the drive with ho_burn_capacity before pulling any PHI.
        expect_err(tool("capacity", addr), code, words, "capacity of %r" % addr)
    expect_err(tool("verify", "stdio:" + img, tree), HO_EDEVICE, ["no written disc"],
               "verify of nothing")
    # Not a file-set: missing folder, bad label, a symlink inside.
    expect_err(tool("write", "stdio:" + img, os.path.join(d, "nope"), "V"), HO_ENOTFOUND,
               ["does not exist"], "missing tree")
    expect_err(tool("write", "stdio:" + img, tree, "lower case"), HO_EINVAL, ["volume label"],
               "bad volume id")
    os.symlink("/etc/passwd", os.path.join(tree, "LINK"))
    expect_err(tool("write", "stdio:" + img, tree, "V"), HO_EINVAL, ["LINK", "symbolic link"],
               "symlink in tree")
    expect_err(tool("manifest", tree, os.path.join(d, "m.txt")), HO_EINVAL,
               ["LINK", "symbolic link"], "symlink in manifest")
    no_leftovers(d, ["tree"])
    # A blank "disc" (empty file) does not verify.
    open(img, "wb").close()
    os.unlink(os.path.join(tree, "LINK"))
    expect_err(tool("verify", "stdio:" + img, tree), HO_EVERIFY, ["cannot be read"],
               "verify of a blank")


def case_usb():
    d, tree, img = setup("usb")
    stick = os.path.join(d, "stick.img")
    expect_err(tool("usb-write", stick, tree, "V"), HO_EDEVICE, ["not there"], "missing stick")
    with open(stick, "wb") as f:
        f.truncate(10 * 1024 * 1024)
    expect_err(tool("usb-write", stick, tree, "V"), HO_ETOOBIG, ["smaller than 64 MB"],
               "small stick")
    expect_err(tool("usb-write", "/dev/null", tree, "V"), HO_EDEVICE, ["not a USB stick"],
               "char device")
    with open(stick, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    expect_err(tool("usb-write", stick, tree, "bad label"), HO_EINVAL, ["label"], "label")
    # A file-set larger than the stick is refused before anything is written.
    big = os.path.join(d, "big")
    os.makedirs(big)
    with open(os.path.join(big, "HUGE"), "wb") as f:
        f.truncate(70 * 1024 * 1024)
    expect_err(tool("usb-write", stick, big, "V"), HO_ETOOBIG, ["larger stick"], "too big")
    with open(stick, "rb") as f:
        if any(f.read(1024 * 1024)):
            fail("the stick was written although the file-set did not fit")
    # A stick that was never written does not verify.
    expect_err(tool("usb-verify", stick, tree), HO_EVERIFY, ["file system"], "blank stick")


CASES = {"tray_open": case_tray_open, "no_disc": case_no_disc, "too_small": case_too_small,
         "write_error": case_write_error, "read_error": case_read_error,
         "bad_address": case_bad_address, "usb": case_usb}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: burn_fault_test.py %s" % "|".join(CASES))
        sys.exit(2)
    CASES[sys.argv[1]]()
    print("ok")
