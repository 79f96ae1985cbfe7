#!/usr/bin/python3
"""Viewer end-to-end tests: builds a medium (make_media.py, 7z for STUDY.ZIP), installs
the viewer and its payload with the C API (viewer_install_tool), checks the payload
round trip (payload_check.mjs) and drives headless Chromium (browser_test.mjs).

Usage: viewer_test.py SCENARIO --tool PATH --dist DIR --viewer DIR --work DIR
  SCENARIO: encrypted | plain-codecs | pick-zip | pick-dir | pick-files | damaged |
            kiosk-zip (STUDY.ZIP made by core/seal, needs --seal-tool)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
# A password with the look-alike characters 0 and 1 in it; the test types it in lower
# case with o/l and spaces to check the input rule.
PASSWORD = "7K0QM1ZP4D9XT2RB"
TYPED = "7k oq-m lzp-4d9x-t2rb"


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def media_files(root):
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out, key=lambda p: (p != "DICOMDIR", p))


def build(a, set_, encrypted, max_total, extra=(), deflate=False, kiosk=False):
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    staging, medium = os.path.join(work, "staging"), os.path.join(work, "medium")
    desc = json.loads(run([PY, os.path.join(HERE, "make_media.py"), staging, "--set", set_]
                          + list(extra), stdout=subprocess.PIPE).stdout)
    os.makedirs(medium)
    if encrypted and kiosk:
        # The kiosk's own sealing (core/seal, libzip AE-2) through its test tool.
        names = "\n".join(media_files(staging)) + "\n"
        run([a.seal_tool, "zip-pw", PASSWORD, staging, os.path.join(medium, "STUDY.ZIP"),
             "deflate" if deflate else "store"], input=names.encode(),
            stdout=subprocess.DEVNULL)
        payload = ["STUDY.ZIP"]
    elif encrypted:
        # 7-Zip's AES-256 ZIP is the WinZip AE-2 format that core/seal writes too.
        run(["7z", "a", "-bd", "-bso0", "-tzip", "-mem=AES256",
             "-mx=1" if deflate else "-mx=0", "-p" + PASSWORD,
             os.path.join(medium, "STUDY.ZIP"), "DICOMDIR", "DICOM"], cwd=staging)
        payload = ["STUDY.ZIP"]
    else:
        for n in ("DICOMDIR", "DICOM"):
            src = os.path.join(staging, n)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(medium, n))
        payload = media_files(medium)
    run([a.tool, "--dist", a.dist, medium, str(max_total)] + payload)
    check = ["node", os.path.join(HERE, "payload_check.mjs"), medium]
    if max_total < sum(os.path.getsize(os.path.join(medium, p)) for p in payload):
        check.append("--expect-incomplete")
    run(check)
    if encrypted:
        # The password must appear nowhere on the medium (issue 3), in either form.
        grouped = "-".join(PASSWORD[i:i + 4] for i in range(0, 16, 4))
        for p in media_files(medium):
            with open(os.path.join(medium, p), "rb") as f:
                data = f.read()
            for form in (PASSWORD, grouped, PASSWORD.lower()):
                if form.encode() in data:
                    sys.exit(f"FAIL the password is written in {p}")
        print("ok   password appears nowhere on the medium")
    return desc, staging, medium


def browser(a, medium, spec):
    if a.browser != "chromium":
        spec["browser"] = a.browser
    spec.setdefault("shot", os.path.join(os.path.abspath(a.work), "screen.png"))
    r = subprocess.run(["node", os.path.join(HERE, "browser_test.mjs"), "--viewer", a.viewer,
                        "--medium", medium, "--spec", json.dumps(spec)],
                       stdout=subprocess.PIPE, text=True)
    print(r.stdout, end="")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--tool", required=True)
    ap.add_argument("--dist", required=True)
    ap.add_argument("--viewer", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--browser", default="chromium", choices=["chromium", "firefox"])
    ap.add_argument("--seal-tool", help="tests/integration/seal_tool (core/seal)")
    a = ap.parse_args()
    if a.browser == "firefox" and not os.path.exists(os.environ.get("HO_FIREFOX",
                                                                    "/usr/bin/firefox-esr")):
        print("firefox-esr is not installed: skipped")
        sys.exit(77)
    big = 64 * 1024 * 1024
    if a.scenario == "encrypted":
        desc, _, medium = build(a, "basic", True, big)
        r = browser(a, medium, {"password": PASSWORD, "typed": TYPED, "series": desc["series"]})
    elif a.scenario == "plain-codecs":
        desc, _, medium = build(a, "codecs", False, big)
        r = browser(a, medium, {"series": desc["series"], "index": "dicomdir"})
    elif a.scenario == "pick-zip":
        desc, _, medium = build(a, "basic", True, 1000, deflate=True)
        r = browser(a, medium, {"scenario": "pick-zip", "password": PASSWORD,
                                "pick": [os.path.join(medium, "STUDY.ZIP")],
                                "series": desc["series"]})
    elif a.scenario == "pick-dir":
        # The whole medium picked as a folder: DICOMDIR paths relative to the picked root.
        desc, _, medium = build(a, "codecs", False, 1000)
        r = browser(a, medium, {"scenario": "pick-dir", "pick": [medium],
                                "series": desc["series"], "index": "dicomdir"})
    elif a.scenario == "pick-files":
        # Files without their folder names: the viewer cannot use DICOMDIR's paths and
        # must scan every file.
        desc, _, medium = build(a, "codecs", False, 1000)
        files = [os.path.join(medium, p) for p in media_files(medium)
                 if p.startswith("DICOM/")]
        r = browser(a, medium, {"scenario": "pick-files", "pick": files,
                                "series": desc["series"], "index": "scan"})
    elif a.scenario == "kiosk-zip":
        if not a.seal_tool:
            sys.exit("kiosk-zip needs --seal-tool")
        desc, _, medium = build(a, "codecs", True, big, deflate=True, kiosk=True)
        r = browser(a, medium, {"password": PASSWORD, "typed": TYPED, "series": desc["series"]})
    elif a.scenario == "damaged":
        # Negative case: a payload script is missing. payload_check must fail, and the
        # viewer must say so and offer the file picker instead of showing anything.
        desc, _, medium = build(a, "basic", True, big)
        os.unlink(os.path.join(medium, "VIEWER", "DATA", "D0000001.JS"))
        pc = subprocess.run(["node", os.path.join(HERE, "payload_check.mjs"), medium])
        if pc.returncode == 0:
            sys.exit("FAIL payload_check accepted a medium with a missing chunk")
        r = browser(a, medium, {"scenario": "damaged"})
    else:
        sys.exit("unknown scenario " + a.scenario)
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
