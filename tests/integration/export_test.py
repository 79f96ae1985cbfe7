#!/usr/bin/env python3
"""End-to-end tests of `handoff find` and `handoff export` against the simulated PACS
(Orthanc on 127.0.0.1, loaded by hw-sim) and libburn's stdio: drive. Every produced
image is judged by tools we did not write: xorriso, isoinfo, dcmmkdir, dciodvfy and
pydicom. Run by ctest (tests/cmake/job.cmake) with HO_CLI, HO_HWSIM_DATA, HO_PACS_PORT
and HO_WORK in the environment."""
import json
import os
import shutil
import subprocess
import sys
import unittest

import pydicom
from pydicom.fileset import FileSet

CLI = os.environ["HO_CLI"]
DATA = os.environ["HO_HWSIM_DATA"]
PORT = os.environ.get("HO_PACS_PORT", "4242")
WORK = os.environ["HO_WORK"]
PACS_DIR = os.environ.get("HO_PACS_DIR", "")
PACS_SH = os.environ.get("HO_PACS_SH", "")
VIEWER_DIR = os.environ.get("HO_VIEWER_DIR", "")
DIST = os.environ.get("HO_VIEWER_DIST", "")


def patients():
    with open(os.path.join(DATA, "patients.json"), encoding="utf-8") as f:
        doc = json.load(f)
    return {p["patient_id"] + "|" + p["issuer"]: p for p in doc["patients"]}


def patient(pid):
    for p in patients().values():
        if p["patient_id"] == pid:
            return p
    raise KeyError(pid)


def expected_sops(p, series_uids=None):
    out = set()
    for st in p["studies"]:
        for se in st["series"]:
            if series_uids and se["series_uid"] not in series_uids:
                continue
            for i in se["instances"]:
                if not i.get("misfiled"):
                    out.add(i["sop_uid"])
    return out


class Case(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(WORK, self.id().split(".")[-1])
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.staging = os.path.join(self.dir, "staging")
        self.state = os.path.join(self.dir, "state")

    def handoff(self, *args, sets=()):
        cmd = [CLI, "--set", "pacs.port=" + PORT, "--set", "kiosk.viewer_dist=" + DIST, "--set", "kiosk.staging=" + self.staging,
               "--set", "kiosk.state=" + self.state]
        for s in sets:
            cmd += ["--set", s]
        cmd += list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        return r

    def log_entries(self):
        r = self.handoff("log", "show", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def assertLogVerifies(self):
        pub = os.path.join(self.dir, "log.pub")
        r = self.handoff("log", "fingerprint", "--out", pub)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.handoff("log", "verify", "--key", pub)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def assertNoStaging(self):
        left = []
        for root, _dirs, files in os.walk(self.staging):
            left += [os.path.join(root, f) for f in files]
        self.assertEqual(left, [], "staging not empty")

    def export(self, pid, *extra, sets=()):
        img = os.path.join(self.dir, "disc.iso")
        man = os.path.join(self.dir, "disc.manifest")
        r = self.handoff("export", "--patient", pid, "--drive", "stdio:" + img,
                         "--manifest", man, "--json", *extra, sets=sets)
        return r, img, man

    def judge(self, img, result, want_sops, profile_flag="-Pgp", fileset=None):
        # 1. MD5 tags recorded by libisofs check out (xorriso reads them itself).
        r = subprocess.run(["xorriso", "-md5", "on", "-indev", img, "-check_md5",
                            "FAILURE", "--"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("session data match recorded md5", r.stdout + r.stderr)
        # 2. ISO 9660 level 1 name and volume ID = file-set ID.
        r = subprocess.run(["isoinfo", "-l", "-i", img], capture_output=True, text=True)
        self.assertIn("DICOMDIR.;1" if fileset is None else "STUDY.ZIP;1", r.stdout)
        r = subprocess.run(["isoinfo", "-d", "-i", img], capture_output=True, text=True)
        self.assertIn("Volume id: " + result["fileset_id"], r.stdout)
        # 3. Extract (Rock Ridge names) and judge the file-set.
        tree = os.path.join(self.dir, "tree")
        shutil.rmtree(tree, ignore_errors=True)
        r = subprocess.run(["xorriso", "-osirrox", "on", "-indev", img, "-extract", "/", tree],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("README.TXT", "INDEX.HTM"):
            self.assertTrue(os.path.isfile(os.path.join(tree, name)), name)
        medium = tree
        if fileset is not None:
            tree = fileset(tree)
        self.assertTrue(os.path.isfile(os.path.join(tree, "DICOMDIR")))
        # dcmmkdir re-checks every file against the profile without writing (-w).
        files = []
        for root, _d, fs in os.walk(os.path.join(tree, "DICOM")):
            files += [os.path.relpath(os.path.join(root, f), tree) for f in fs]
        r = subprocess.run(["dcmmkdir", "-w", "-nb", "+D", os.path.join(self.dir, "CHECKDIR"),
                            profile_flag, "+F", result["fileset_id"]] +
                           sorted(files), cwd=tree, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("E:", r.stdout + r.stderr)
        r = subprocess.run(["dciodvfy", "DICOMDIR"], cwd=tree, capture_output=True, text=True)
        errors = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("Error")]
        self.assertEqual(errors, [], r.stderr)
        # pydicom resolves every record to a file, and the SOP instances equal the pull.
        fs = FileSet(os.path.join(tree, "DICOMDIR"))
        on_dir = set()
        for inst in fs:
            self.assertTrue(os.path.isfile(inst.path), inst.path)
            on_dir.add(inst.SOPInstanceUID)
        self.assertEqual(on_dir, want_sops)
        on_disc = set()
        for f in files:
            on_disc.add(pydicom.dcmread(os.path.join(tree, f), stop_before_pixels=True)
                        .SOPInstanceUID)
        self.assertEqual(on_disc, want_sops)
        self.assertEqual(result["instances"], len(want_sops))
        return medium if fileset is None else (medium, tree)


class Find(Case):
    def test_find_patients(self):
        r = self.handoff("find", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)
        by_id = {x["patient_id"]: x for x in rows}
        self.assertEqual(by_id["HO-0001"]["name"], "DEMO^ALICE")
        self.assertEqual(by_id["HO-0003"]["name"], "Müller^Jürgen")
        self.assertEqual(by_id["HO-0005"]["name"], "Παπαδόπουλος^Νίκος")
        smiths = [x for x in rows if x["name"] == "SMITH^JOHN"]
        self.assertEqual(len({x["birth_date"] for x in smiths}), 2)
        r = self.handoff("find")
        self.assertEqual(r.returncode, 0)
        self.assertIn("DEMO^ALICE", r.stdout)

    def test_find_studies_and_series(self):
        p = patient("HO-0002")
        r = self.handoff("find", "--patient", "HO-0002", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        uids = {x["study_uid"] for x in json.loads(r.stdout)}
        self.assertEqual(uids, {st["study_uid"] for st in p["studies"]})
        st = p["studies"][0]
        r = self.handoff("find", "--study", st["study_uid"], "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)
        self.assertEqual({x["series_uid"] for x in rows}, {se["series_uid"] for se in st["series"]})
        self.assertEqual(sum(x["instances"] for x in rows),
                         sum(se["instance_count"] for se in st["series"]))


class Export(Case):
    def run_ok(self, pid, *extra, sets=(), profile_flag="-Pgp", series=None):
        r, img, man = self.export(pid, *extra, sets=sets)
        self.assertEqual(r.returncode, 0, r.stderr)
        result = json.loads(r.stdout)
        self.assertNoStaging()
        self.assertTrue(os.path.isfile(man))
        tree = self.judge(img, result, expected_sops(patient(pid), series), profile_flag)
        # The handoff is in the signed log, and the receipt's facts point at that entry.
        entries = self.log_entries()
        last = entries[-1]
        self.assertEqual(last["kind"], "export")
        self.assertEqual(last["seq"], result["log_seq"])
        self.assertEqual(last["entry_hash"], result["log_entry_hash"])
        self.assertEqual(last["medium"], result["fileset_id"])
        self.assertLogVerifies()
        # Every medium carries the viewer; unencrypted ones the IHE_PDI pages too.
        self.assertTrue(os.path.isdir(os.path.join(tree, "VIEWER")))
        self.assertTrue(os.path.isdir(os.path.join(tree, "IHE_PDI")))
        return result, tree

    def test_export_cr(self):
        result, _ = self.run_ok("HO-0001")
        self.assertEqual(result["profile"], "STD-GEN-CD")
        self.assertEqual(result["transcoded"], 0)

    def test_export_ct(self):
        self.run_ok("HO-0002")

    def test_export_one_series(self):
        p = patient("HO-0008")
        se = p["studies"][0]["series"][0]
        self.run_ok("HO-0008", "--series", se["series_uid"], series={se["series_uid"]})

    def test_export_compressed_transcoded_for_cd(self):
        result, tree = self.run_ok("HO-0008")
        self.assertGreater(result["transcoded"], 0)
        for root, _d, fs in os.walk(os.path.join(tree, "DICOM")):
            for f in fs:
                ds = pydicom.dcmread(os.path.join(root, f), stop_before_pixels=True)
                self.assertEqual(ds.file_meta.TransferSyntaxUID, "1.2.840.10008.1.2.1")

    def test_export_non_ascii_charset(self):
        for pid in ("HO-0003", "HO-0004"):
            with self.subTest(pid=pid):
                _, tree = self.run_ok(pid)
                fs = FileSet(os.path.join(tree, "DICOMDIR"))
                want = patient(pid)["name"]
                names = {str(inst.load().PatientName) for inst in fs}
                self.assertEqual(names, {want})
                shutil.rmtree(self.dir)
                os.makedirs(self.dir)

    def test_manifest_matches_medium(self):
        result, tree = self.run_ok("HO-0001")
        import hashlib
        with open(os.path.join(self.dir, "disc.manifest"), "rb") as f:
            text = f.read()
        self.assertEqual(hashlib.sha256(text).hexdigest(), result["manifest_sha256"])
        listed = {}
        for line in text.decode().splitlines():
            digest, size, path = line.split(" ", 2)
            listed[path] = (digest, int(size))
        on_medium = {}
        for root, _d, fs in os.walk(tree):
            for f in fs:
                p = os.path.join(root, f)
                with open(p, "rb") as fh:
                    on_medium[os.path.relpath(p, tree)] = (
                        hashlib.sha256(fh.read()).hexdigest(), os.path.getsize(p))
        self.assertEqual(listed, on_medium)


class Encrypted(Case):
    """Sealed export: STUDY.ZIP (AES-256 AE-2) + viewer; the password reaches only the
    descriptor given for it, never the medium, the staging, the log or the output."""

    def export_sealed(self, pid, escrow=True):
        sets = []
        if escrow:
            key = os.path.join(self.dir, "escrow.pem")
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                            "rsa_keygen_bits:2048", "-out", key + ".priv"], check=True,
                           capture_output=True)
            subprocess.run(["openssl", "pkey", "-in", key + ".priv", "-pubout", "-out", key],
                           check=True, capture_output=True)
            sets.append("export.escrow_key=" + key)
        img = os.path.join(self.dir, "disc.iso")
        rfd, wfd = os.pipe()
        cmd = [CLI, "--set", "pacs.port=" + PORT, "--set", "kiosk.staging=" + self.staging,
               "--set", "kiosk.state=" + self.state]
        for x in sets:
            cmd += ["--set", x]
        cmd += ["export", "--patient", pid, "--drive", "stdio:" + img, "--encrypt",
                "--password-fd", str(wfd), "--json", "--identity-check", "photo-id"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, pass_fds=(wfd,))
        os.close(wfd)
        with os.fdopen(rfd) as f:
            display = f.read().strip()
        return r, img, display

    def test_sealed_export(self):
        r, img, display = self.export_sealed("HO-0001")
        self.assertEqual(r.returncode, 0, r.stderr)
        result = json.loads(r.stdout)
        self.assertTrue(result["encrypted"])
        self.assertTrue(result["escrowed"])
        self.assertRegex(display, r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
        pw = display.replace("-", "")
        self.assertNoStaging()

        def unzip(tree):
            out = os.path.join(self.dir, "unzipped")
            z = subprocess.run(["7z", "x", "-y", "-p" + pw, "-o" + out,
                                os.path.join(tree, "STUDY.ZIP")], capture_output=True, text=True)
            self.assertEqual(z.returncode, 0, z.stdout)
            return out
        medium, fileset = self.judge(img, result, expected_sops(patient("HO-0001")),
                                     fileset=unzip)
        # Nothing outside the ZIP names the patient; no DICOMDIR or DICOM/ in the clear.
        names = sorted(os.listdir(medium))
        self.assertEqual(names, ["INDEX.HTM", "README.TXT", "STUDY.ZIP", "VIEWER"])
        p = patient("HO-0001")
        for root, _d, fs in os.walk(medium):
            for f in fs:
                if f == "STUDY.ZIP":
                    continue
                with open(os.path.join(root, f), "rb") as fh:
                    data = fh.read()
                self.assertNotIn(b"ALICE", data, f)
                self.assertNotIn(p["patient_id"].encode(), data, f)
        # The password is nowhere: not on the disc image, the output, the log or state.
        for b in (pw.encode(), display.encode(), pw.lower().encode()):
            with open(img, "rb") as fh:
                self.assertNotIn(b, fh.read())
            self.assertNotIn(b.decode(), r.stdout + r.stderr)
            for root, _d, fs in os.walk(self.state):
                for f in fs:
                    with open(os.path.join(root, f), "rb") as fh:
                        self.assertNotIn(b, fh.read(), f)
        # A wrong password opens nothing.
        z = subprocess.run(["7z", "t", "-pWRONGPASSWORD000", os.path.join(medium, "STUDY.ZIP")],
                           capture_output=True, text=True)
        self.assertNotEqual(z.returncode, 0)
        self.assertEqual(self.log_entries()[-1]["kind"], "export")
        self.assertLogVerifies()
        # A patient opens it in a browser from the disc, with the password.
        if VIEWER_DIR:
            v = subprocess.run(["node", os.path.join(os.path.dirname(__file__),
                                "medium_viewer.mjs"), "--viewer", VIEWER_DIR, "--medium",
                                medium, "--password", display], capture_output=True, text=True,
                               timeout=300)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_sealed_needs_a_way_to_hand_over_the_password(self):
        img = os.path.join(self.dir, "disc.iso")
        r = self.handoff("export", "--patient", "HO-0001", "--drive", "stdio:" + img,
                         "--encrypt")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--password-fd", r.stderr)
        self.assertFalse(os.path.exists(img))


class Viewer(Case):
    def test_unencrypted_medium_opens_in_browser(self):
        if not VIEWER_DIR:
            self.skipTest("no viewer")
        r, img, _ = self.export("HO-0001")
        self.assertEqual(r.returncode, 0, r.stderr)
        tree = os.path.join(self.dir, "tree")
        subprocess.run(["xorriso", "-osirrox", "on", "-indev", img, "-extract", "/", tree],
                       check=True, capture_output=True)
        v = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "medium_viewer.mjs"),
                            "--viewer", VIEWER_DIR, "--medium", tree], capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)


class Retrieve(Case):
    """The other ways to pull: C-MOVE to our own storage SCP, and DICOM TLS."""

    def test_export_by_cmove(self):
        r, img, _ = self.export("HO-0002", sets=("pacs.retrieve=move",
                                                 "pacs.move_port=" + os.environ["HO_MOVE_PORT"]))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.judge(img, json.loads(r.stdout), expected_sops(patient("HO-0002")))

    def test_export_over_tls(self):
        tls = os.path.join(os.environ["HO_PACS_TLS_DIR"], "tls")
        base = ("pacs.port=" + os.environ["HO_PACS_TLS_PORT"], "pacs.tls_ca=" + tls + "/ca.pem")
        client = ("pacs.tls_cert=" + tls + "/client.pem", "pacs.tls_key=" + tls + "/client.key")
        r, img, _ = self.export("HO-0001", sets=base + client)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.judge(img, json.loads(r.stdout), expected_sops(patient("HO-0001")))
        # The TLS PACS refuses plain DICOM and clients without a certificate.
        os.unlink(img)
        r, img, _ = self.export("HO-0001", sets=base[:1])
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertNoStaging()


class Atna(Case):
    """Every log entry also goes to an audit record repository: a real rsyslog with TLS
    (RFC 5425) on 127.0.0.1. The local log stays the record of truth: with the server
    down the export still succeeds and the message is delivered by a later job."""

    def setUp(self):
        super().setUp()
        import socket
        w = self.dir

        def sh(*a):
            subprocess.run(list(a), check=True, capture_output=True)
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-days", "2", "-subj", "/CN=test ca", "-keyout", w + "/ca.key",
           "-out", w + "/ca.pem")
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-subj", "/CN=127.0.0.1", "-keyout", w + "/srv.key", "-out", w + "/srv.csr")
        with open(w + "/ext", "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        sh("openssl", "x509", "-req", "-in", w + "/srv.csr", "-CA", w + "/ca.pem", "-CAkey",
           w + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile", w + "/ext", "-out",
           w + "/srv.pem")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.received = w + "/received.log"
        os.makedirs(w + "/spool")
        with open(w + "/rsyslog.conf", "w") as f:
            f.write(f"""
global(workDirectory="{w}/spool" DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="{w}/ca.pem" DefaultNetstreamDriverCertFile="{w}/srv.pem"
       DefaultNetstreamDriverKeyFile="{w}/srv.key" maxMessageSize="1m")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
template(name="one" type="string" string="%app-name% %msg:::escape-cc%\\n")
ruleset(name="atna") {{ action(type="omfile" file="{self.received}" template="one") }}
input(type="imtcp" port="{self.port}" address="127.0.0.1" ruleset="atna")
""")
        self.srv = None

    def tearDown(self):
        self.stop()

    def start(self):
        import socket
        import time
        self.srv = subprocess.Popen(["rsyslogd", "-n", "-f", self.dir + "/rsyslog.conf", "-i",
                                     self.dir + "/rsyslog.pid"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.fail("rsyslogd did not start")

    def stop(self):
        if self.srv is not None:
            self.srv.terminate()
            self.srv.wait(10)
            self.srv = None

    def exports_received(self):
        import time
        for _ in range(50):
            try:
                with open(self.received, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""
            n = text.count("110106")
            if n:
                return n
            time.sleep(0.1)
        return 0

    def test_forwarded_and_queued_while_down(self):
        sets = ("atna.host=127.0.0.1", "atna.port=%d" % self.port,
                "atna.ca=" + self.dir + "/ca.pem", "export.encrypt=no")
        self.start()
        r, _img, _ = self.export("HO-0001", sets=sets)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.exports_received(), 1)
        self.stop()
        os.unlink(os.path.join(self.dir, "disc.iso"))
        r, _img, _ = self.export("HO-0001", sets=sets)
        self.assertEqual(r.returncode, 0, r.stderr)  # the local log is enough
        self.assertIn("audit repository will get this later", r.stderr)
        self.start()
        os.unlink(os.path.join(self.dir, "disc.iso"))
        r, _img, _ = self.export("HO-0001", sets=sets)
        self.assertEqual(r.returncode, 0, r.stderr)
        import time
        time.sleep(0.5)
        self.assertEqual(self.exports_received(), 3)


class Refuse(Case):
    """Each refusal: non-zero exit, a clear message, no medium, nothing in staging."""

    def refused(self, want_exit, want_text, *extra, pid="HO-0001", sets=()):
        r, img, _man = self.export(pid, *extra, sets=sets)
        self.assertEqual(r.returncode, want_exit, r.stdout + r.stderr)
        self.assertIn(want_text.lower(), r.stderr.lower())
        self.assertFalse(os.path.exists(img) and os.path.getsize(img) > 0, "medium written")
        self.assertNoStaging()
        # A refused job leaves a log entry saying so.
        kinds = [e["kind"] for e in self.log_entries()]
        self.assertEqual(kinds[-1 if want_exit != 5 else -2], "export-failed", kinds)
        self.assertLogVerifies()
        return r

    def test_misfiled_instance_stops_job(self):
        p = patient("HO-0009")
        r = self.refused(5, "security stop", pid="HO-0009")
        # The message names the study and series, never the other patient.
        st = p["studies"][0]
        self.assertIn(st["study_uid"], r.stderr)
        self.assertIn(st["series"][0]["series_uid"], r.stderr)
        self.assertNotIn("HO-0010", r.stderr)
        self.assertEqual(self.log_entries()[-1]["kind"], "security-alert")

    def test_pacs_down(self):
        self.refused(3, "127.0.0.1", sets=("pacs.port=1", "pacs.connect_timeout=3"))

    def test_wrong_called_ae(self):
        self.refused(3, "WRONGAE", sets=("pacs.called_ae=WRONGAE",))

    def test_unknown_calling_ae(self):
        self.refused(3, "STRANGER", sets=("pacs.calling_ae=STRANGER",))

    def test_get_refused(self):
        self.refused(3, "refused", sets=("pacs.calling_ae=NOGET",))

    def test_unknown_patient(self):
        self.refused(4, "no patient with id 'HO-9999'", pid="HO-9999")

    def test_unknown_series(self):
        self.refused(4, "1.2.3.4.5.6", "--series", "1.2.3.4.5.6")

    def test_log_unwritable_stops_exports(self):
        # A log that cannot be written: a full filesystem (a 64 KiB tmpfs, filled), or,
        # where mounting is not allowed, a path that is a file instead of a directory.
        logdir = os.path.join(self.dir, "log")
        os.makedirs(logdir)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", logdir],
                                 capture_output=True).returncode == 0
        try:
            if mounted:
                fd = os.open(os.path.join(logdir, "filler"), os.O_WRONLY | os.O_CREAT)
                try:
                    while os.write(fd, b"\0" * 4096) > 0:
                        pass
                except OSError:
                    pass
                os.close(fd)
            else:
                os.rmdir(logdir)
                with open(logdir, "w") as f:
                    f.write("not a directory")
            img = os.path.join(self.dir, "disc.iso")
            r = self.handoff("export", "--patient", "HO-0001", "--no-encrypt", "--drive",
                             "stdio:" + img, sets=("kiosk.log=" + logdir,))
            self.assertEqual(r.returncode, 10, r.stderr)
            self.assertIn("log", r.stderr)
            self.assertIn("No export can be made", r.stderr)
            self.assertFalse(os.path.exists(img) and os.path.getsize(img) > 0)
            self.assertNoStaging()
        finally:
            if mounted:
                subprocess.run(["umount", logdir], check=True)

    def test_unusable_drive(self):
        r = self.handoff("export", "--patient", "HO-0001", "--drive",
                         "stdio:/nonexistent/dir/disc.iso")
        self.assertEqual(r.returncode, 6, r.stderr)
        self.assertIn("/nonexistent/dir/disc.iso", r.stderr)
        self.assertNoStaging()
        r = self.handoff("export", "--patient", "HO-0001", "--drive", "garbage")
        self.assertEqual(r.returncode, 6, r.stderr)
        self.assertNoStaging()

    def test_corrupt_dicom_from_pacs(self):
        if not PACS_SH:
            self.skipTest("no pacs.sh")
        p = patient("HO-0006")
        sop = p["studies"][0]["series"][0]["instances"][0]["sop_uid"]
        r = subprocess.run([PACS_SH, "corrupt", "--dir", PACS_DIR, sop],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.refused(9, "damaged image", pid="HO-0006")


if __name__ == "__main__":
    unittest.main(verbosity=2)
