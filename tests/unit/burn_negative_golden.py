#!/usr/bin/env python3
"""Negative case of a golden-file test: run TEST with a copy of GOLDEN that differs in one
byte; the test must fail. Usage: burn_negative_golden.py TEST GOLDEN [OFFSET]"""
import os
import subprocess
import sys
import tempfile

test, golden = sys.argv[1], sys.argv[2]
off = int(sys.argv[3]) if len(sys.argv) > 3 else 70
data = bytearray(open(golden, "rb").read())
data[off] ^= 1
with tempfile.NamedTemporaryFile(delete=False) as f:
    f.write(data)
try:
    rc = subprocess.run([test, f.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
finally:
    os.unlink(f.name)
if rc == 0:
    print("FAIL: the test passed against a corrupted golden file")
    sys.exit(1)
print("ok: corrupted golden file rejected (rc %d)" % rc)
