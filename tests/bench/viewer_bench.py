#!/usr/bin/python3
"""Viewer time to first image (headless Chromium), printed; not a pass/fail test.

  small: 2 CT images 512x512, encrypted, data from the payload scripts
  large: 300 CT images 512x512 (150 MiB), encrypted, STUDY.ZIP picked by the user
  large-payload: the same 300 images forced into payload scripts (why the default
         limit exists)
Times are from the browser's own clock (performance.now()): payload = INDEX.JS and all
chunk scripts loaded; unlock = password submitted -> password verified;
first image = password submitted -> first image drawn; slice step = mean time to show
the next slice over 50 slices (decrypting each from STUDY.ZIP).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VT = os.path.join(HERE, "..", "viewer")
PY = "/usr/bin/python3"
PASSWORD = "7K0QM1ZP4D9XT2RB"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def medium(a, name, count, max_total):
    work = os.path.join(os.path.abspath(a.work), name)
    shutil.rmtree(work, ignore_errors=True)
    staging, med = os.path.join(work, "staging"), os.path.join(work, "medium")
    run([PY, os.path.join(VT, "make_media.py"), staging, "--set", "big", "--count", str(count),
         "--size", "512"], stdout=subprocess.DEVNULL)
    os.makedirs(med)
    run(["7z", "a", "-bd", "-bso0", "-tzip", "-mem=AES256", "-mx=0", "-p" + PASSWORD,
         os.path.join(med, "STUDY.ZIP"), "DICOMDIR", "DICOM"], cwd=staging)
    shutil.rmtree(staging)
    t = time.monotonic()
    run([a.tool, "--dist", a.dist, med, str(max_total), "STUDY.ZIP"])
    return med, os.path.getsize(os.path.join(med, "STUDY.ZIP")), time.monotonic() - t


def browse(a, med, spec):
    spec.update({"password": PASSWORD, "bench": True, "series": [{}], "timeout": 300000,
                 "browser": a.browser})
    r = subprocess.run(["node", os.path.join(VT, "browser_test.mjs"), "--viewer", os.path.abspath(a.viewer),
                        "--medium", med, "--spec", json.dumps(spec)],
                       stdout=subprocess.PIPE, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    print(r.stdout)
    raise SystemExit("browser run failed")


def main():
    ap = argparse.ArgumentParser()
    for k in ("--tool", "--dist", "--viewer", "--work"):
        ap.add_argument(k, required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--browser", default="chromium", choices=["chromium", "firefox"])
    a = ap.parse_args()
    rows = []
    cases = [("small", 2, 64 << 20, None), ("large", a.count, 64 << 20, "pick-zip"),
             ("large-payload", a.count, 1 << 40, None)]
    for name, count, max_total, scenario in cases:
        med, size, tpay = medium(a, name, count, max_total)
        spec = {}
        if scenario:
            spec = {"scenario": scenario, "pick": [os.path.join(med, "STUDY.ZIP")]}
        m = browse(a, med, spec)
        start = m.get("picked", m.get("submit"))
        rows.append((name, count, size, tpay, m.get("payload"), m["unlocked"] - m["submit"],
                     m["first-image"] - m["submit"]))
        print(f"viewer_bench {a.browser} {name}: {count} images, STUDY.ZIP {size / 2**20:.1f} MiB, "
              f"payload written in {tpay:.2f} s, payload loaded at {m.get('payload', 0):.0f} ms, "
              f"unlock {m['unlocked'] - m['submit']:.0f} ms, "
              f"first image {m['first-image'] - m['submit']:.0f} ms after the password, "
              f"slice step {m['step'] or 0:.1f} ms",
              flush=True)
        shutil.rmtree(os.path.dirname(med), ignore_errors=True)
    print("viewer_bench: " + json.dumps(rows))


if __name__ == "__main__":
    main()
