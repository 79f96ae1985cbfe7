#!/usr/bin/python3
"""Integration tests of dicom/ against the simulated PACS (hw-sim/pacs, Orthanc).

Usage: dicom_net.py CASE --cli DICOM_CLI --data HWSIM_DATA --port P [--tls-dir D]
                     [--move-port N] [--aet HANDOFF] [--aec ORTHANC] [--scratch DIR]

CASE is one of: find, get, move, compressed, stop, misfiled, tls, wrong_called,
unknown_calling, noget, down, silent, unknown_series, corrupt, move_foreign, diskfull,
charsets_qr, nodelay. Each prints what it checked and exits 0, or 1 with
the reason. The expected answers come from HWSIM_DATA/patients.json (what the generator
put into the PACS), never from the PACS itself.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pydicom

FIELDS = ["level", "pid", "issuer", "name", "birth", "sex", "study", "date", "accession",
          "modalities", "series", "modality", "series_number", "num_instances", "study_desc",
          "series_desc"]


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Cli:
    def __init__(self, a):
        self.a = a

    def run(self, args, peer=None, env=None):
        peer = peer or []
        base = [self.a.cli, "--port", str(self.a.port), "--aet", self.a.aet, "--aec", self.a.aec]
        if self.a.tls_dir:
            t = os.path.join(self.a.tls_dir, "tls")
            base += ["--ca", t + "/ca.pem", "--cert", t + "/client.pem", "--key",
                     t + "/client.key"]
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run(base + peer + args, capture_output=True, text=True, env=e,
                           timeout=600)
        lines = [l for l in p.stdout.splitlines() if l]
        check(lines and lines[-1].startswith("rc="), "no rc line: %r %r" % (p.stdout, p.stderr))
        secs = None
        for l in p.stderr.splitlines():
            if l.startswith("seconds="):
                secs = float(l.split("=", 1)[1])
        return lines[-1][3:], lines[:-1], p.stderr, secs

    def find(self, level, **kw):
        args = ["find", level]
        for k, v in kw.items():
            args += ["--" + k, v]
        rc, lines, err, _ = self.run(args)
        check(rc == "HO_OK", "find %s %r: %s %s" % (level, kw, rc, err))
        return [dict(zip(FIELDS, l.split("\t"))) for l in lines]

    def get(self, pid, study, series, dest, peer=None, extra=None, env=None):
        args = ["get", "--pid", pid, "--study", study, "--series", series, "--dest", dest]
        rc, lines, err, secs = self.run(args + (extra or []), peer=peer, env=env)
        insts = []
        for l in lines:
            f = l.split("\t")
            insts.append(dict(sop=f[0], ts=f[1], size=int(f[2]), series=f[3], pid=f[4],
                              path=f[5], issuer=f[6]))
        return rc, insts, err, secs


def model(a):
    with open(os.path.join(a.data, "patients.json"), encoding="utf-8") as f:
        d = json.load(f)
    pts = {p["patient_id"]: p for p in d["patients"] if not p.get("big")}
    return pts


def series_of(p):
    return [(st, se) for st in p["studies"] for se in st["series"]]


def expected_instances(se, pid):
    # Misfiled objects (another patient's ID) sit in the same series but are not the
    # patient's: the PACS files them under the other patient.
    return [i for i in se["instances"] if not i.get("misfiled")]


def case_find(a, cli, pts):
    # PATIENT level: every generated patient, names in UTF-8 whatever their charset.
    rows = cli.find("patient")
    got = {r["pid"]: r for r in rows}
    for pid, p in pts.items():
        check(pid in got, "patient %s missing from PATIENT-level find" % pid)
        check(got[pid]["name"] == p["name"], "name of %s: %r != %r" %
              (pid, got[pid]["name"], p["name"]))
        check(got[pid]["birth"] == p["birth_date"], "birth date of %s" % pid)
    print("find patient: %d patients, names OK (incl. ISO_IR 100, ISO 2022 IR 87, IR 126)"
          % len(pts))
    # Wildcard on a non-ASCII name (query sent as ISO_IR 192).
    rows = cli.find("patient", name="Müller*")
    check([r["pid"] for r in rows] == ["HO-0003"], "Müller* matched %r" % rows)
    rows = cli.find("patient", name="SMITH^JOHN")
    check(sorted(r["pid"] for r in rows) == ["HO-0006", "HO-0007"], "SMITH^JOHN: %r" % rows)
    # STUDY and SERIES levels for every patient.
    for pid, p in pts.items():
        studies = cli.find("study", pid=pid)
        want = {st["study_uid"] for st in p["studies"]}
        check({s["study"] for s in studies} == want, "studies of %s" % pid)
        for st in p["studies"]:
            series = cli.find("series", pid=pid, study=st["study_uid"])
            want = {se["series_uid"]: se for se in st["series"]}
            got = {s["series"]: s for s in series}
            check(set(got) == set(want), "series of %s/%s: %r vs %r" %
                  (pid, st["study_uid"], sorted(got), sorted(want)))
            for uid, se in want.items():
                check(got[uid]["modality"] == se["modality"], "modality of %s" % uid)
    print("find study/series: all studies and series of all patients match")
    # Unknown patient: no rows, success.
    check(cli.find("patient", pid="HO-NOSUCH") == [], "unknown patient matched")


def retrieve_check(a, cli, pid, st, se, peer=None):
    dest = tempfile.mkdtemp(dir=a.scratch)
    try:
        rc, insts, err, secs = cli.get(pid, st["study_uid"], se["series_uid"], dest, peer=peer)
        check(rc == "HO_OK", "retrieve %s: %s %s" % (se["series_uid"], rc, err))
        want = {i["sop_uid"] for i in expected_instances(se, pid)}
        got = {i["sop"] for i in insts}
        check(got == want, "retrieved %d instances, want %d" % (len(got), len(want)))
        for i in insts:
            check(os.path.dirname(i["path"]) == dest, "file outside dest: %s" % i["path"])
            check(os.stat(i["path"]).st_size == i["size"], "size of %s" % i["path"])
            check(oct(os.stat(i["path"]).st_mode & 0o777) == "0o600", "mode of %s" % i["path"])
            ds = pydicom.dcmread(i["path"])
            check(ds.SOPInstanceUID == i["sop"], "file content %s" % i["path"])
            check(ds.file_meta.TransferSyntaxUID == i["ts"], "ts of %s" % i["path"])
            ds.pixel_array if ds.file_meta.TransferSyntaxUID in (
                "1.2.840.10008.1.2.1", "1.2.840.10008.1.2") else None
        return insts, secs
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def case_get(a, cli, pts, peer=None, label="C-GET"):
    for pid in ("HO-0001", "HO-0002", "HO-0003"):
        for st, se in series_of(pts[pid]):
            insts, secs = retrieve_check(a, cli, pid, st, se, peer)
            mb = sum(i["size"] for i in insts) / 1e6
            print("%s %s %s: %d instances, %.1f MB in %.2f s" %
                  (label, pid, se["modality"], len(insts), mb, secs))


def case_move(a, cli, pts):
    case_get(a, cli, pts, peer=["--move-port", str(a.move_port)], label="C-MOVE")


def case_compressed(a, cli, pts):
    # Objects the PACS holds compressed come back in their own transfer syntax (one
    # presentation context per compressed syntax: nothing re-encoded on the way).
    for peer, label in ((None, "C-GET"), (["--move-port", str(a.move_port)], "C-MOVE")):
        for st, se in series_of(pts["HO-0008"]):
            insts, _ = retrieve_check(a, cli, "HO-0008", st, se, peer)
            tss = {i["ts"] for i in insts}
            check(tss == {se["transfer_syntax"]}, "%s %s came back as %s, stored as %s" %
                  (label, se["modality"], tss, se["transfer_syntax"]))
            print("%s compressed %s: %d instances kept as %s" %
                  (label, se["series_uid"][-8:], len(insts), se["transfer_syntax"]))


def case_stop(a, cli, pts):
    st, se = series_of(pts["HO-0002"])[0]
    for peer, label in ((None, "C-GET"), (["--move-port", str(a.move_port)], "C-MOVE")):
        dest = tempfile.mkdtemp(dir=a.scratch)
        t0 = time.time()
        rc, insts, err, _ = cli.get("HO-0002", st["study_uid"], se["series_uid"], dest,
                                    peer=peer, extra=["--stop-after", "5"])
        check(rc == "STOP", "%s stop: rc %s %s" % (label, rc, err))
        check(len(insts) == 5, "%s: callback called %d times after stop" % (label, len(insts)))
        left = os.listdir(dest)
        check(len(left) <= 6, "%s: %d files left after stop" % (label, len(left)))
        print("%s: callback stop after 5 of 300 honoured in %.2f s" % (label, time.time() - t0))
        shutil.rmtree(dest, ignore_errors=True)
        # The PACS must still serve us afterwards (association was aborted cleanly).
        check(cli.find("patient", pid="HO-0001"), "PACS unusable after cancel")


def case_tls(a, cli, pts):
    rows = cli.find("patient", pid="HO-0004")
    check(len(rows) == 1 and rows[0]["name"] == pts["HO-0004"]["name"], "TLS find: %r" % rows)
    st, se = series_of(pts["HO-0001"])[0]
    retrieve_check(a, cli, "HO-0001", st, se)
    print("TLS: find and C-GET OK")
    # Without our CA the PACS certificate must not be accepted.
    ca = os.path.join(a.scratch, "other-ca.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=other",
                    "-keyout", ca + ".key", "-out", ca], check=True, capture_output=True)
    rc, _, err, _ = cli.run(["find", "patient"], peer=["--ca", ca])
    check(rc == "HO_ENET" and "certificate" in err, "foreign CA accepted: %s %s" % (rc, err))
    # Plain DICOM against the TLS port must fail as a network error, not hang.
    t = os.path.join(a.tls_dir, "tls")
    p = subprocess.run([a.cli, "--port", str(a.port), "--aet", a.aet, "--aec", a.aec,
                        "--connect-timeout", "3", "--dimse-timeout", "3", "find", "patient"],
                       capture_output=True, text=True, timeout=60)
    check("rc=HO_ENET" in p.stdout, "plain to TLS port: %s %s" % (p.stdout, p.stderr))
    print("TLS: foreign CA refused, plain connection to the TLS port fails cleanly")


def expect(cli, args, rc_want, words, peer=None):
    rc, _, err, secs = cli.run(args, peer=peer)
    check(rc == rc_want, "%s: rc %s, want %s (%s)" % (args[0], rc, rc_want, err))
    for w in words:
        check(w in err, "message lacks %r: %s" % (w, err))
    return err, secs


def case_wrong_called(a, cli, pts):
    err, _ = expect(cli, ["find", "patient"], "HO_EREFUSED",
                    ["called AE title 'NOTORTHANC' is not recognised", "pacs.called_ae"],
                    peer=["--aec", "NOTORTHANC"])
    print("wrong called AE:", err.strip().splitlines()[-1])


def case_unknown_calling(a, cli, pts):
    err, _ = expect(cli, ["find", "patient"], "HO_EREFUSED",
                    ["does not know this kiosk's AE title 'STRANGER'"],
                    peer=["--aet", "STRANGER"])
    print("unknown calling AE:", err.strip().splitlines()[-1])


def case_noget(a, cli, pts):
    st, se = series_of(pts["HO-0001"])[0]
    args = ["get", "--pid", "HO-0001", "--study", st["study_uid"], "--series",
            se["series_uid"], "--dest", a.scratch]
    err, _ = expect(cli, args, "HO_EREFUSED", ["C-GET"], peer=["--aet", "NOGET"])
    check(not [f for f in os.listdir(a.scratch) if f.startswith("ho")], "files left")
    print("C-GET refused:", err.strip().splitlines()[-1])


def case_down(a, cli, pts):
    # A closed port: refused at once. The port next to the PACS is not listening.
    err, secs = expect(cli, ["find", "patient"], "HO_ENET", ["Could not reach the PACS"],
                       peer=["--port", "9", "--connect-timeout", "3"])
    check(secs < 5, "closed port took %.1f s" % secs)
    print("PACS down:", err.strip().splitlines()[-1])


def case_corrupt(a, cli, pts):
    # A private PACS (own directory and ports, started here) with damaged copies in its
    # storage: an object it cannot read (truncate) must fail the retrieve as HO_EFORMAT
    # and not be passed off as a complete series; one it still serves with a broken header
    # region (header) must not reach the callback as a valid instance.
    pacs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "hw-sim",
                        "pacs", "pacs.sh")
    d = os.path.join(a.scratch, "pacs")
    port, http, mport = 4447, 8047, 11117
    subprocess.run([pacs, "start", "--dir", d, "--data", a.data, "--dicom-port", str(port),
                    "--http-port", str(http), "--move-port", str(mport)], check=True,
                   capture_output=True)
    try:
        cli.a.port = port
        st, se = series_of(pts["HO-0003"])[0]
        victim = se["instances"][3]["sop_uid"]
        subprocess.run([pacs, "corrupt", "--dir", d, "--mode", "truncate", victim],
                       check=True, capture_output=True)
        for peer, label in ((None, "C-GET"), (["--move-port", str(mport)], "C-MOVE")):
            dest = tempfile.mkdtemp(dir=a.scratch)
            rc, insts, err, _ = cli.get("HO-0003", st["study_uid"], se["series_uid"], dest,
                                        peer=peer)
            check(rc == "HO_EFORMAT", "%s with a damaged object: %s %s" % (label, rc, err))
            check(victim not in {i["sop"] for i in insts}, "damaged object delivered")
            print("%s, truncated object on the PACS: %s" %
                  (label, err.strip().splitlines()[-1]))
        # A PACS that freezes in the middle of a retrieve (SIGSTOP): HO_ENET after the
        # DIMSE timeout, not a hang.
        with open(os.path.join(d, "orthanc.pid")) as f:
            opid = int(f.read().strip())
        st2, se2 = series_of(pts["HO-0002"])[0]
        for peer, label in ((None, "C-GET"), (["--move-port", str(mport)], "C-MOVE")):
            dest = tempfile.mkdtemp(dir=a.scratch)
            base = [a.cli, "--port", str(port), "--aet", a.aet, "--aec", a.aec,
                    "--dimse-timeout", "2"] + (peer or [])
            p = subprocess.Popen(base + ["get", "--pid", "HO-0002", "--study",
                                         st2["study_uid"], "--series", se2["series_uid"],
                                         "--dest", dest, "--delete"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Freeze once the first instances have arrived.
            t0 = time.time()
            while time.time() - t0 < 10 and not [x for x in os.listdir(dest)]:
                time.sleep(0.005)
            os.kill(opid, 19)  # SIGSTOP
            t1 = time.time()
            try:
                out, err = p.communicate(timeout=30)
            finally:
                os.kill(opid, 18)  # SIGCONT
            waited = time.time() - t1
            n = len(out.splitlines()) - 1
            if n >= 300:
                print("%s stall: retrieve finished before the freeze; not judged" % label)
                continue
            check("rc=HO_ENET" in out, "%s stall: %s %s" % (label, out[-200:], err))
            check(waited < 8, "%s stall: gave up after %.1f s (timeout 2 s)" % (label, waited))
            print("%s, PACS frozen after %d images: HO_ENET after %.1f s" % (label, n, waited))
    finally:
        subprocess.run([pacs, "stop", "--dir", d], capture_output=True)


def case_move_foreign(a, cli, pts):
    # The move SCP takes images only from the configured PACS (AE title and, for an IP,
    # address). Reaching the same Orthanc as 127.0.0.2 makes its C-STOREs come from
    # 127.0.0.1: they must be refused and the user told who was turned away.
    st, se = series_of(pts["HO-0001"])[0]
    args = ["get", "--pid", "HO-0001", "--study", st["study_uid"], "--series",
            se["series_uid"], "--dest", a.scratch]
    err, _ = expect(cli, args, "HO_EREFUSED", ["from 127.0.0.1", "at 127.0.0.2"],
                    peer=["--host", "127.0.0.2", "--move-port", str(a.move_port)])
    check(not [f for f in os.listdir(a.scratch) if f.startswith("ho")], "files left")
    print("C-MOVE from an unexpected address:", err.strip().splitlines()[-1])


def case_diskfull(a, cli, pts):
    # Staging full in the middle of a series (a 1 MB tmpfs, private mount namespace):
    # HO_EIO saying so, not a network error; the partial file is gone.
    st, se = series_of(pts["HO-0002"])[0]
    full = os.path.join(a.scratch, "full")
    os.makedirs(full)
    probe = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount -t tmpfs -o size=1m none '%s'" % full], capture_output=True)
    if probe.returncode != 0:
        print("SKIP diskfull: cannot mount a tmpfs here (needs root)")
        sys.exit(77)
    for peer in ([], ["--move-port", str(a.move_port)]):
        base = [a.cli, "--port", str(a.port), "--aet", a.aet, "--aec", a.aec] + peer
        cmd = base + ["get", "--pid", "HO-0002", "--study", st["study_uid"], "--series",
                      se["series_uid"], "--dest", full]
        sh = "mount -t tmpfs -o size=1m none \"$0\" && \"$@\"; rc=$?; ls \"$0\" | wc -l; exit $rc"
        p = subprocess.run(["unshare", "-m", "sh", "-c", sh, full] + cmd,
                           capture_output=True, text=True, timeout=120)
        out = p.stdout.splitlines()
        check("rc=HO_EIO" in out and "free space" in p.stderr,
              "disk full: %s %s" % (p.stdout[-300:], p.stderr[-300:]))
        check(int(out[-1]) <= 2, "files left on the full staging: %s" % out[-1])
        print("%s, staging full: %s" % ("C-MOVE" if peer else "C-GET",
                                         [l for l in p.stderr.splitlines() if "HO_EIO" in l][0]))


def case_charsets_qr(a, cli, pts):
    # C-FIND answers in ISO_IR 100 and ISO 2022 IR 87 (Orthanc re-encodes everything to
    # its DefaultEncoding, so the answers come from DCMTK's dcmqrscp, which sends the
    # stored bytes): the records must carry the names in UTF-8 (PS3.5 H.3.1 example).
    here = os.path.dirname(os.path.abspath(__file__))
    files = os.path.join(a.scratch, "files")
    db = os.path.join(a.scratch, "db")
    os.makedirs(db)
    subprocess.run([sys.executable, os.path.join(here, "..", "unit", "dicom_mkfiles.py"),
                    files], check=True, capture_output=True)
    for f in ("le.dcm", "jp.dcm"):
        shutil.copy(os.path.join(files, f), db)
    subprocess.run(["dcmqridx", db, os.path.join(db, "le.dcm"), os.path.join(db, "jp.dcm")],
                   check=True, capture_output=True)
    port = 4449
    cfg = os.path.join(a.scratch, "dcmqrscp.cfg")
    with open(cfg, "w") as f:
        f.write("NetworkTCPPort = %d\nMaxPDUSize = 16384\nMaxAssociations = 16\n"
                "HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n"
                "AETable BEGIN\nQRSCP %s RW (10, 100mb) ANY\nAETable END\n" % (port, db))
    log = open(os.path.join(a.scratch, "dcmqrscp.log"), "w")
    srv = subprocess.Popen(["dcmqrscp", "-c", cfg], stdout=log, stderr=log)
    try:
        cli.a.port = port
        cli.a.aec = "QRSCP"
        for _ in range(100):
            rc, lines, err, _ = cli.run(["find", "patient"])
            if rc == "HO_OK":
                break
            time.sleep(0.1)
        rows = cli.find("patient")
        names = {r["pid"]: r["name"] for r in rows}
        want = {"HO-U-1": "Müller^Jürgen", "HO-U-2": "Yamada^Tarou=山田^太郎=やまだ^たろう"}
        check(names == want, "names from dcmqrscp: %r" % names)
        rows = cli.find("study", pid="HO-U-2")
        check(len(rows) == 1 and rows[0]["name"] == want["HO-U-2"], "study level: %r" % rows)
        print("find via dcmqrscp: ISO_IR 100 and ISO 2022 IR 87 answers arrive as UTF-8")
    finally:
        srv.terminate()
        srv.wait()
        log.close()


def case_silent(a, cli, pts):
    # A peer that accepts TCP but never answers the A-ASSOCIATE-RQ (a hung PACS, a
    # firewall that swallows): HO_ENET after the connect timeout, not a hang.
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    held = []
    def accept():
        try:
            while True:
                held.append(srv.accept()[0])
        except OSError:
            pass
    threading.Thread(target=accept, daemon=True).start()
    try:
        err, secs = expect(cli, ["find", "patient"], "HO_ENET", ["Could not reach the PACS"],
                           peer=["--port", str(port), "--connect-timeout", "2"])
        check(1.5 < secs < 6, "silent peer: gave up after %.1f s, want ~2" % secs)
        print("silent PACS: HO_ENET after %.1f s (connect timeout 2 s)" % secs)
    finally:
        srv.close()
        for c in held:
            c.close()


def case_unknown_series(a, cli, pts):
    st, _ = series_of(pts["HO-0001"])[0]
    for peer in (None, ["--move-port", str(a.move_port)]):
        args = ["get", "--pid", "HO-0001", "--study", st["study_uid"], "--series",
                "1.2.3.4.5.6.7.8.9", "--dest", a.scratch]
        err, _ = expect(cli, args, "HO_ENOTFOUND", ["no series"], peer=peer)
    print("unknown series:", err.strip().splitlines()[-1])


def case_misfiled(a, cli, pts):
    # HO-0009's series holds an instance of another patient with the same ID but another
    # issuer: the shim must report each instance's own Patient ID and Issuer from the file
    # (core's guard decides), never the ones we asked for.
    st, se = series_of(pts["HO-0009"])[0]
    dest = tempfile.mkdtemp(dir=a.scratch)
    rc, insts, err, _ = cli.get("HO-0009", st["study_uid"], se["series_uid"], dest)
    check(rc == "HO_OK", "misfiled retrieve: %s %s" % (rc, err))
    by = {i["sop"]: i for i in insts}
    for i in se["instances"]:
        if i["sop_uid"] not in by:
            continue
        ds = pydicom.dcmread(by[i["sop_uid"]]["path"], stop_before_pixels=True)
        want_issuer = i.get("owner_issuer", pts["HO-0009"]["issuer"])
        check(ds.IssuerOfPatientID == want_issuer, "issuer in file of %s" % i["sop_uid"])
        check(by[i["sop_uid"]]["issuer"] == want_issuer, "issuer reported for %s: %s" %
              (i["sop_uid"], by[i["sop_uid"]]["issuer"]))
    other = [i for i in se["instances"] if i.get("owner_issuer") == "OTHER-HOSPITAL"]
    check(other and other[0]["sop_uid"] in by, "same-ID-other-issuer instance not retrieved")
    print("misfiled: %d instances, the other issuer's one reported as such" % len(insts))
    shutil.rmtree(dest, ignore_errors=True)


def case_nodelay(a, cli, pts):
    # The figure for dicom/README.md: the 300-slice CT by C-GET with Nagle on (DCMTK's
    # default, forced here through DCMTK's own getscu) and with our shim (TCP_NODELAY=1).
    st, se = series_of(pts["HO-0002"])[0]
    dest = tempfile.mkdtemp(dir=a.scratch)
    res = {}
    for nd in ("0", "1"):
        t0 = time.time()
        p = subprocess.run(["getscu", "-aet", a.aet, "-aec", a.aec, "-P", "-od", dest,
                            "-k", "QueryRetrieveLevel=SERIES", "-k", "PatientID=HO-0002",
                            "-k", "StudyInstanceUID=" + st["study_uid"], "-k",
                            "SeriesInstanceUID=" + se["series_uid"], "127.0.0.1",
                            str(a.port)], capture_output=True, text=True,
                           env=dict(os.environ, TCP_NODELAY=nd))
        res["getscu TCP_NODELAY=" + nd] = time.time() - t0
        check(p.returncode == 0, "getscu failed: %s" % p.stderr[-500:])
        shutil.rmtree(dest)
        os.mkdir(dest)
    _, secs = retrieve_check(a, cli, "HO-0002", st, se)
    res["ho_dcm_retrieve_series (C-GET)"] = secs
    _, secs = retrieve_check(a, cli, "HO-0002", st, se, peer=["--move-port",
                                                               str(a.move_port)])
    res["ho_dcm_retrieve_series (C-MOVE)"] = secs
    for k, v in res.items():
        print("300-slice CT, %-32s %.2f s" % (k, v))
    shutil.rmtree(dest, ignore_errors=True)


CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--cli", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls-dir")
    ap.add_argument("--move-port", type=int, default=11112)
    ap.add_argument("--aet", default="HANDOFF")
    ap.add_argument("--aec", default="ORTHANC")
    ap.add_argument("--scratch")
    a = ap.parse_args()
    own = a.scratch is None
    if own:
        a.scratch = tempfile.mkdtemp(prefix="ho-dicom-net.")
    else:
        shutil.rmtree(a.scratch, ignore_errors=True)
        os.makedirs(a.scratch)
    try:
        CASES[a.case](a, Cli(a), model(a))
    except Fail as e:
        print("FAIL %s: %s" % (a.case, e), file=sys.stderr)
        return 1
    finally:
        if own:
            shutil.rmtree(a.scratch, ignore_errors=True)
    print("dicom_net %s: OK" % a.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
