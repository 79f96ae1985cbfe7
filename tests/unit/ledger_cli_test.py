#!/usr/bin/python3
"""`handoff log ...` end to end: show (table, JSON), fingerprint, export (with the audit
entry it writes, the signed MANIFEST, the static verifier and the verifier's source,
which must build alone), report (HTML with SVG, no patient identifiers), exit codes.
usage: ledger_cli_test.py LEDGER_GEN LEDGER_CLI HANDOFF_VERIFY SRC_ROOT SCRATCH"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys

gen, cli, hv, src, work = sys.argv[1:6]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
log, exp = f"{work}/log", f"{work}/export"
fails = []


def run(*a, cwd=None):
    return subprocess.run(list(a), capture_output=True, text=True, cwd=cwd)


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        fails.append(what)


pub_gen = run(gen, log, "150", "--step-min", "97").stdout
r = run(cli, "show", "--log-dir", log, "--json")
entries = json.loads(r.stdout)
check(r.returncode == 0 and len(entries) == 151, f"show --json lists 151 entries ({len(entries)})")
check(all(re.fullmatch(r"[0-9a-f]{64}", e["entry_hash"]) for e in entries), "entry hashes")
check(entries[0]["kind"] == "app-activity" and entries[0]["seq"] == 1, "first entry is the log's creation")
r = run(cli, "show", "--log-dir", log, "--limit", "3")
check(r.returncode == 0 and len(r.stdout.splitlines()) == 4, "show table with --limit")
r = run(cli, "fingerprint", "--log-dir", log, "--out", f"{work}/pub")
check(r.returncode == 0 and open(f"{work}/pub").read() == pub_gen and "SHA256:" in r.stdout,
      "fingerprint prints the key and writes the verifier key file")
check(run(cli, "verify", "--log-dir", log).returncode == 1, "verify without --key is a usage error")
r = run(cli, "export", "--log-dir", log, "--to", exp, "--staff", "auditor1", "--source-root", src,
        "--verifier", hv)
check(r.returncode == 0, "export: " + r.stdout.strip() + r.stderr.strip())
for f in ("MANIFEST", "LOG-FORMAT.md", "AUDITOR.md", "log/checkpoint", "log/keys",
          "log/00000000000000000001.seg", "verifier/handoff-verify",
          "verifier/src/app/verify/handoff_verify.c"):
    check(os.path.exists(f"{exp}/{f}"), f"export has {f}")
r = run(cli, "show", "--log-dir", f"{exp}/log", "--json")
last = json.loads(r.stdout)[-1]
check(last["kind"] == "audit-log-used" and last["user"] == "auditor1",
      "the export recorded itself as Audit Log Used")
r = run(f"{exp}/verifier/handoff-verify", "--key", f"{work}/pub", exp)
check(r.returncode == 0 and "MANIFEST: signature valid" in r.stdout, "exported static verifier verifies the export")
doc = f"{exp}/LOG-FORMAT.md"
orig = open(doc).read()
open(doc, "w").write(orig + "x")
r = run(f"{exp}/verifier/handoff-verify", "--key", f"{work}/pub", exp)
check(r.returncode == 2 and "differs from the MANIFEST" in r.stdout, "altered exported file detected")
open(doc, "w").write(orig)
b = f"{work}/build-verifier"
shutil.copytree(f"{exp}/verifier/src", b)
r = run("make", "-f", "app/verify/Makefile", cwd=b)
check(r.returncode == 0, "verifier builds from the exported source alone " + r.stderr[-300:])
r = run(f"{b}/handoff-verify", "--key", f"{work}/pub", exp)
check(r.returncode == 0, "self-built verifier verifies the export")
r = run(cli, "report", "--log-dir", log, "--out", f"{work}/r.html", "--hours", "8-18", "--bulk", "4")
page = open(f"{work}/r.html").read() if os.path.exists(f"{work}/r.html") else ""
check(r.returncode == 0 and page.count("<svg") == 2, "report has two SVG charts")
for s in ("Handoffs per day", "Handoffs per staff member", "After-hours exports", "Bulk exports",
          "Failures and spoiled media", "Security alerts"):
    check(s in page, f"report section: {s}")
check("PID" not in page, "report names no patients")
class P(html.parser.HTMLParser):
    pass
P().feed(page)
r = run(cli, "report", "--log-dir", f"{work}/nope")
check(r.returncode != 0, "report on a missing log fails")
r = run(cli, "frobnicate")
check(r.returncode == 1, "unknown sub-command is a usage error")
print("PASS" if not fails else f"FAIL ({len(fails)})")
sys.exit(1 if fails else 0)
