#!/usr/bin/python3
"""Integration checks of the simulated PACS (hw-sim): is the simulator what the other tests
believe it is? One subcommand per ctest test (tests/cmake/hwsim.cmake).

  hwsim_check.py names      --data GENDIR --port P
  hwsim_check.py misfiled   --data GENDIR --port P
  hwsim_check.py tsyntax    --data GENDIR --port P --pacs-dir DIR --move-port M
  hwsim_check.py noget      --data GENDIR --port P
  hwsim_check.py tls        --data GENDIR --port P --pacs-dir DIR
  hwsim_check.py corrupt    --data GENDIR --pacs-dir DIR --port P --http-port H --move-port M
  hwsim_check.py refusal    --data GENDIR --pacs-dir DIR
  hwsim_check.py generator  --data GENDIR --scratch DIR
  hwsim_check.py markers    --data GENDIR

Exit 0 = pass, 1 = fail, 77 = skipped (the environment cannot run the check).
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pydicom

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACS = os.path.join(ROOT, "hw-sim", "pacs", "pacs.sh")
GEN = os.path.join(ROOT, "hw-sim", "gen", "generate.py")
AEC = "ORTHANC"
KIOSK = "HANDOFF"
SKIP = 77

TS_NAMES = {
	"1.2.840.10008.1.2.1": "LittleEndianExplicit",
	"1.2.840.10008.1.2.4.50": "JPEGBaseline",
	"1.2.840.10008.1.2.4.70": "JPEGLossless:Non-hierarchical-1stOrderPrediction",
	"1.2.840.10008.1.2.5": "RLELossless",
}


class Fail(Exception):
	pass


def check(cond, msg):
	if not cond:
		raise Fail(msg)


def run(cmd, **kw):
	kw.setdefault("stdout", subprocess.PIPE)
	kw.setdefault("stderr", subprocess.STDOUT)
	kw.setdefault("timeout", 120)
	# Debian's DCMTK keeps Nagle on unless told otherwise: 40 ms per object (README).
	kw.setdefault("env", dict(os.environ, TCP_NODELAY="1"))
	return subprocess.run(cmd, **kw)


def load(data):
	with open(os.path.join(data, "patients.json"), encoding="utf-8") as f:
		return json.load(f)


def patient(doc, key):
	return next(p for p in doc["patients"] if p["key"] == key)


def getscu(port, study, series, outdir, aet=KIOSK, extra=()):
	os.makedirs(outdir, exist_ok=True)
	return run(["getscu", "-aet", aet, "-aec", AEC, "-S", *extra,
		"-k", "QueryRetrieveLevel=SERIES", "-k", "StudyInstanceUID=" + study,
		"-k", "SeriesInstanceUID=" + series, "-od", outdir, "127.0.0.1", str(port)])


def rest(a, method, path, body=None):
	"""Orthanc REST on 127.0.0.1 with the credentials pacs.sh wrote (never on a command line)."""
	import base64
	import http.client
	with open(os.path.join(a.pacs_dir, "http-credentials"), encoding="utf-8") as f:
		cred = f.readline().strip()
	with open(os.path.join(a.pacs_dir, "http-port"), encoding="utf-8") as f:
		port = int(f.readline())
	c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
	c.request(method, path, body=body, headers={
		"Authorization": "Basic " + base64.b64encode(cred.encode()).decode()})
	r = c.getresponse()
	data = r.read(16 << 20)
	c.close()
	check(r.status == 200, "REST %s %s: HTTP %d" % (method, path, r.status))
	try:
		return json.loads(data)
	except ValueError:
		return data.decode()


def received(outdir):
	return [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(outdir, "*")))]


# ---------------------------------------------------------------------------------------------

def t_names(a, tmp):
	"""C-FIND at PATIENT level sees every generated patient with the right (decoded) name."""
	doc = load(a.data)
	r = run(["findscu", "-aet", KIOSK, "-aec", AEC, "-P", "-X", "-od", tmp,
		"-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID", "-k", "PatientName",
		"-k", "PatientBirthDate", "-k", "IssuerOfPatientID", "-k", "SpecificCharacterSet",
		"127.0.0.1", str(a.port)])
	check(r.returncode == 0, "findscu failed: " + r.stdout.decode(errors="replace"))
	got = {}
	for ds in received(tmp):
		got.setdefault(str(ds.PatientID).strip(), []).append(ds)
	want = [p for p in doc["patients"] if not p.get("big")]
	for p in want:
		check(p["patient_id"] in got, "patient %s (%s) missing from C-FIND" %
			(p["patient_id"], p["name"]))
		names = [str(ds.PatientName) for ds in got[p["patient_id"]]]
		check(p["name"] in names, "patient %s: name %r, expected %r" %
			(p["patient_id"], names, p["name"]))
		births = [str(ds.get("PatientBirthDate", "")) for ds in got[p["patient_id"]]]
		check(p["birth_date"] in births, "patient %s: birth date %r, expected %r" %
			(p["patient_id"], births, p["birth_date"]))
	# The two SMITH^JOHN are two patients, told apart by ID and birth date.
	smiths = [pid for pid, l in got.items() if any(str(d.PatientName) == "SMITH^JOHN" for d in l)]
	check(sorted(smiths) == ["HO-0006", "HO-0007"], "SMITH^JOHN patients: %r" % smiths)
	# Every non-ASCII name really is non-ASCII after decoding (not folded, not mojibake).
	for key, needle in (("HO-0003", "ü"), ("HO-0004", "山田"), ("HO-0005", "Νίκος")):
		n = [str(d.PatientName) for d in got[key]]
		check(any(needle in x for x in n), "%s: %r does not contain %r" % (key, n, needle))
	# The misfiled object's owner shows up as its own patient (Orthanc keys by PatientID).
	check("HO-0010" in got, "HO-0010 (owner of a misfiled object) not found")
	print("names: %d patients found, all names decoded as generated" % len(got))


def t_misfiled(a, tmp):
	"""A SERIES-level C-GET of MISFILE^MARY's series returns the misfiled objects too."""
	doc = load(a.data)
	p = patient(doc, "HO-0009")
	st = p["studies"][0]
	se = st["series"][0]
	want_mis = {i["sop_uid"]: i for i in se["instances"] if i["misfiled"]}
	check(len(want_mis) == 2, "patients.json lists %d misfiled objects, expected 2" %
		len(want_mis))
	r = getscu(a.port, st["study_uid"], se["series_uid"], tmp)
	check(r.returncode == 0, "getscu failed: " + r.stdout.decode(errors="replace"))
	got = {str(ds.SOPInstanceUID): ds for ds in received(tmp)}
	check(len(got) == len(se["instances"]), "C-GET returned %d objects, expected %d" %
		(len(got), len(se["instances"])))
	for u, inst in want_mis.items():
		check(u in got, "misfiled object %s (%s) not returned" % (u, inst["variant"]))
		ds = got[u]
		check(str(ds.PatientID) == inst["owner_patient_id"] and
			str(ds.IssuerOfPatientID) == inst["owner_issuer"],
			"misfiled %s: PatientID/Issuer %s/%s" % (u, ds.PatientID, ds.IssuerOfPatientID))
	# Negative control: everything else is Mary's own, and the guard's key tells them apart.
	own = [ds for u, ds in got.items() if u not in want_mis]
	check(all((str(d.PatientID), str(d.IssuerOfPatientID)) == (p["patient_id"], p["issuer"])
		for d in own), "non-misfiled objects with a foreign PatientID/issuer")
	print("misfiled: C-GET returned %d objects, both misfiled variants among them" % len(got))


def t_tsyntax(a, tmp):
	"""Compressed series: generated files and what the PACS serves keep their syntax."""
	doc = load(a.data)
	p = patient(doc, "HO-0008")
	st = p["studies"][0]
	prefer = {"1.2.840.10008.1.2.4.50": "+xy", "1.2.840.10008.1.2.4.70": "+xs",
		"1.2.840.10008.1.2.5": "+xr"}
	seen = set()
	for se in st["series"]:
		ts = se["transfer_syntax"]
		seen.add(ts)
		for inst in se["instances"]:
			r = run(["dcmdump", "-q", "-M", "+P", "0002,0010",
				os.path.join(a.data, inst["path"])])
			check(TS_NAMES[ts] in r.stdout.decode(), "%s: dcmdump says %r, expected %s" %
				(inst["path"], r.stdout.decode().strip(), TS_NAMES[ts]))
		# What the PACS holds: Orthanc keeps the received file and its syntax. (Its C-GET
		# SCP picks Explicit VR LE whenever the SCU also offers it in the same context.)
		for inst in se["instances"]:
			ids = rest(a, "POST", "/tools/lookup", inst["sop_uid"].encode())
			check(len(ids) == 1, "instance %s not in the PACS" % inst["sop_uid"])
			held = rest(a, "GET", "/instances/%s/metadata/TransferSyntax" % ids[0]["ID"])
			check(held == ts, "PACS holds %s in %s, expected %s" % (inst["sop_uid"], held, ts))
		# What it serves by C-MOVE to the kiosk's SCP, which accepts the compressed syntax
		# first (here the kiosk is the acceptor, so it chooses the syntax).
		out = os.path.join(tmp, str(se["number"]))
		os.makedirs(out)
		r = run(["movescu", "-aet", KIOSK, "-aec", AEC, "-S", "--port", str(a.move_port),
			prefer[ts], "-od", out, "-k", "QueryRetrieveLevel=SERIES",
			"-k", "StudyInstanceUID=" + st["study_uid"],
			"-k", "SeriesInstanceUID=" + se["series_uid"], "127.0.0.1", str(a.port)])
		check(r.returncode == 0, "movescu failed: " + r.stdout.decode(errors="replace"))
		files = sorted(glob.glob(os.path.join(out, "*")))
		check(len(files) == se["instance_count"], "C-MOVE of series %d: got %d of %d" %
			(se["number"], len(files), se["instance_count"]))
		for f in files:
			r = run(["dcmdump", "-q", "-M", "+P", "0002,0010", f])
			check(TS_NAMES[ts] in r.stdout.decode(), "C-MOVE served %s in %r, expected %s" %
				(f, r.stdout.decode().strip(), TS_NAMES[ts]))
	check(seen == set(prefer), "transfer syntaxes generated: %r" % seen)
	# Negative control: the uncompressed demo patient is not reported as compressed.
	demo = patient(doc, "HO-0001")["studies"][0]["series"][0]["instances"][0]
	r = run(["dcmdump", "-q", "-M", "+P", "0002,0010", os.path.join(a.data, demo["path"])])
	check("LittleEndianExplicit" in r.stdout.decode(), "HO-0001 is not Explicit VR LE")
	print("tsyntax: JPEG baseline, JPEG lossless SV1 and RLE on disk, in the PACS, by C-MOVE")


def t_noget(a, tmp):
	"""NOGET may C-FIND but its C-GET is refused; HANDOFF's C-GET of the same series works."""
	doc = load(a.data)
	st = patient(doc, "HO-0001")["studies"][0]
	se = st["series"][0]
	os.makedirs(os.path.join(tmp, "f"))
	r = run(["findscu", "-aet", "NOGET", "-aec", AEC, "-S", "-X", "-od",
		os.path.join(tmp, "f"), "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=HO-0001",
		"-k", "StudyInstanceUID", "127.0.0.1", str(a.port)])
	check(r.returncode == 0 and glob.glob(os.path.join(tmp, "f", "*")),
		"NOGET C-FIND failed: " + r.stdout.decode(errors="replace"))
	r = getscu(a.port, st["study_uid"], se["series_uid"], os.path.join(tmp, "n"), aet="NOGET")
	check(not glob.glob(os.path.join(tmp, "n", "*")), "NOGET received objects by C-GET")
	check(r.returncode != 0, "getscu as NOGET claimed success")
	r = getscu(a.port, st["study_uid"], se["series_uid"], os.path.join(tmp, "h"))
	check(r.returncode == 0 and len(glob.glob(os.path.join(tmp, "h", "*"))) == 1,
		"HANDOFF C-GET failed: " + r.stdout.decode(errors="replace"))
	r = run(["echoscu", "-aet", "STRANGER", "-aec", AEC, "127.0.0.1", str(a.port)])
	check(r.returncode != 0, "an unknown calling AET was accepted")
	r = run(["echoscu", "-aet", KIOSK, "-aec", "NOTORTHANC", "127.0.0.1", str(a.port)])
	check(r.returncode != 0, "a wrong called AET was accepted")
	print("noget: C-GET refused for NOGET, allowed for HANDOFF; unknown AETs rejected")


def t_tls(a, tmp):
	"""DICOM TLS: the kiosk's client certificate works; no or foreign certificates do not."""
	t = os.path.join(a.pacs_dir, "tls")
	for f in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key"):
		check(os.path.isfile(os.path.join(t, f)), "missing %s" % f)
	check(os.stat(os.path.join(t, "client.key")).st_mode & 0o077 == 0, "client.key readable")
	good = ["+tls", os.path.join(t, "client.key"), os.path.join(t, "client.pem"),
		"+cf", os.path.join(t, "ca.pem")]
	r = run(["findscu", "-aet", KIOSK, "-aec", AEC, *good, "-P", "-X", "-od", tmp,
		"-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID=HO-0001", "-k", "PatientName",
		"127.0.0.1", str(a.port)])
	check(r.returncode == 0, "findscu over TLS failed: " + r.stdout.decode(errors="replace"))
	ds = received(tmp)
	check(len(ds) == 1 and str(ds[0].PatientName) == "DEMO^ALICE", "TLS C-FIND: %r" % ds)
	r = run(["echoscu", "-aet", KIOSK, "-aec", AEC, "-to", "5", "-ta", "5", "127.0.0.1",
		str(a.port)])
	check(r.returncode != 0, "plain TCP accepted on the TLS port")
	r = run(["echoscu", "-aet", KIOSK, "-aec", AEC, "+tla", "+cf", os.path.join(t, "ca.pem"),
		"127.0.0.1", str(a.port)])
	check(r.returncode != 0, "TLS without a client certificate accepted")
	key, crt = os.path.join(tmp, "x.key"), os.path.join(tmp, "x.pem")
	r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=" + KIOSK,
		"-keyout", key, "-out", crt])
	check(r.returncode == 0, "openssl failed")
	r = run(["echoscu", "-aet", KIOSK, "-aec", AEC, "+tls", key, crt, "+cf",
		os.path.join(t, "ca.pem"), "127.0.0.1", str(a.port)])
	check(r.returncode != 0, "a self-signed client certificate was accepted")
	r = run(["echoscu", "-aet", KIOSK, "-aec", AEC, "+tls", os.path.join(t, "client.key"),
		os.path.join(t, "client.pem"), "+cf", crt, "127.0.0.1", str(a.port)])
	check(r.returncode != 0, "the client trusted a server certificate from another CA")
	print("tls: mutual TLS with the test CA works; plain, anonymous, foreign certs refused")


def t_corrupt(a, tmp):
	"""pacs.sh corrupt: a private PACS (not the shared fixture) serves the damaged object."""
	doc = load(a.data)
	d = a.pacs_dir
	r = run([PACS, "start", "--dir", d, "--data", a.data, "--dicom-port", str(a.port),
		"--http-port", str(a.http_port), "--move-port", str(a.move_port)], timeout=300)
	check(r.returncode == 0, "pacs.sh start failed: " + r.stdout.decode(errors="replace"))
	try:
		cases = [("HO-0006", "rows"), ("HO-0007", "truncate"), ("HO-0005", "pixels")]
		for key, mode in cases:
			st = patient(doc, key)["studies"][0]
			se = st["series"][0]
			inst = se["instances"][0]
			with open(os.path.join(a.data, inst["path"]), "rb") as f:
				orig = pydicom.dcmread(f)
			r = run([PACS, "corrupt", "--dir", d, "--mode", mode, inst["sop_uid"]])
			check(r.returncode == 0, "corrupt failed: " + r.stdout.decode(errors="replace"))
			out = os.path.join(tmp, mode)
			getscu(a.port, st["study_uid"], se["series_uid"], out)
			got = received(out)
			if mode == "truncate":
				check(not got, "a truncated object was still served")
			elif mode == "rows":
				check(len(got) == 1 and got[0].Rows == 65535, "rows: %r" %
					[g.get("Rows") for g in got])
			else:
				check(len(got) == 1 and got[0].PixelData != orig.PixelData and
					len(got[0].PixelData) == len(orig.PixelData), "pixels: not garbled")
		# Negative control: an untouched patient is served intact.
		st = patient(doc, "HO-0001")["studies"][0]
		se = st["series"][0]
		out = os.path.join(tmp, "intact")
		getscu(a.port, st["study_uid"], se["series_uid"], out)
		got = received(out)
		orig = pydicom.dcmread(os.path.join(a.data, se["instances"][0]["path"]))
		check(len(got) == 1 and got[0].PixelData == orig.PixelData, "intact object changed")
		r = run([PACS, "corrupt", "--dir", d, "2.25.1"])
		check(r.returncode != 0, "corrupt of an unknown UID succeeded")
		# Negative cases for the checks themselves: on this private PACS, drop HO-0004 and
		# one misfiled object; "names" and "misfiled" must then fail.
		hid = rest(a, "POST", "/tools/lookup", b"HO-0004")
		for h in hid:
			if h["Type"] == "Patient":
				rest(a, "DELETE", "/patients/" + h["ID"])
		mis = [i for i in patient(doc, "HO-0009")["studies"][0]["series"][0]["instances"]
			if i["misfiled"]][0]
		for h in rest(a, "POST", "/tools/lookup", mis["sop_uid"].encode()):
			rest(a, "DELETE", "/instances/" + h["ID"])
		for name, fn in (("names", t_names), ("misfiled", t_misfiled)):
			sub = os.path.join(tmp, "neg-" + name)
			os.makedirs(sub)
			try:
				fn(a, sub)
			except Fail as e:
				print("negative case %s failed as it must: %s" % (name, e))
				continue
			raise Fail("check %r passed against a PACS missing what it checks" % name)
	finally:
		run([PACS, "stop", "--dir", d])
	check(not os.path.exists(os.path.join(d, "orthanc.pid")), "orthanc.pid left behind")
	print("corrupt: rows/pixels served damaged, truncate refused by the PACS, others intact")


def t_refusal(a, tmp):
	"""pacs.sh start refuses a network namespace with more than loopback."""
	env = dict(os.environ)
	env.pop("HO_PACS_ALLOW_ANY_INTERFACE", None)
	d = a.pacs_dir
	script = ('ip link set lo up && ip link add hwsim0 type veth peer name hwsim1 && '
		'exec "$@"')
	probe = run(["unshare", "--net", "--", "sh", "-c", script, "sh", "true"], env=env)
	if probe.returncode == 0:
		pre = ["unshare", "--net", "--", "sh", "-c", script, "sh"]
		where = "a namespace with a veth pair"
	else:
		host = run(["nsenter", "--net=/proc/1/ns/net", "ip", "-o", "link"], env=env)
		if host.returncode != 0 or host.stdout.decode().count("\n") < 2:
			print("refusal: cannot build a namespace with a non-loopback interface; skipped")
			return SKIP
		pre = ["nsenter", "--net=/proc/1/ns/net"]
		where = "the host network namespace"
	r = run(pre + [PACS, "start", "--dir", d, "--data", a.data, "--dicom-port", "4999",
		"--http-port", "8999"], env=env)
	out = r.stdout.decode(errors="replace")
	check(r.returncode != 0, "pacs.sh started in %s: %s" % (where, out))
	check("scripts/netns.sh" in out, "refusal does not say what to do: %s" % out)
	check(not os.path.exists(os.path.join(d, "orthanc.pid")), "orthanc.pid written")
	# Positive controls: the override, and a loopback-only namespace, are accepted.
	env1 = dict(env, HO_PACS_ALLOW_ANY_INTERFACE="1")
	r = run(pre + [PACS, "check-netns"], env=env1)
	check(r.returncode == 0, "override not honoured: " + r.stdout.decode(errors="replace"))
	r = run(["unshare", "--net", "--", PACS, "check-netns"], env=env)
	check(r.returncode == 0, "loopback-only namespace refused: " +
		r.stdout.decode(errors="replace"))
	print("refusal: refused in %s with a pointer to scripts/netns.sh" % where)


def t_generator(a, tmp):
	"""Determinism: a fresh generation is byte-identical to the fixture's data."""
	out = a.scratch
	shutil.rmtree(out, ignore_errors=True)
	r = run([sys.executable, GEN, "--out", out], timeout=300)
	check(r.returncode == 0, "generate.py failed: " + r.stdout.decode(errors="replace"))
	try:
		doc = load(a.data)
		n = 0
		for p in doc["patients"]:
			if p.get("big"):
				continue
			for st in p["studies"]:
				for se in st["series"]:
					for i in se["instances"]:
						x = open(os.path.join(a.data, i["path"]), "rb").read()
						y = open(os.path.join(out, i["path"]), "rb").read()
						check(hashlib.sha256(x).digest() == hashlib.sha256(y).digest(),
							"%s differs between two runs" % i["path"])
						n += 1
		if not any(p.get("big") for p in doc["patients"]):
			# (with --big, the fixture's patients.json also lists HO-0099)
			with open(os.path.join(a.data, "patients.json"), "rb") as f1, \
					open(os.path.join(out, "patients.json"), "rb") as f2:
				check(f1.read() == f2.read(), "patients.json differs between two runs")
		# A second run with a matching stamp does nothing.
		r = run([sys.executable, GEN, "--out", out])
		check(b"up to date" in r.stdout, "stamp not honoured: %r" % r.stdout)
		# Every UID is a valid 2.25 UID within 64 characters (PS3.5 9.1).
		for p in doc["patients"]:
			for st in p["studies"]:
				uids = [st["study_uid"]] + [se["series_uid"] for se in st["series"]] + \
					[i["sop_uid"] for se in st["series"] for i in se["instances"]]
				for u in uids:
					check(u.startswith("2.25.") and len(u) <= 64 and
						u.replace(".", "").isdigit(), "bad UID %r" % u)
	finally:
		shutil.rmtree(out, ignore_errors=True)
	print("generator: %d files identical across runs, stamp honoured" % n)


def pixels(path, ts, tmp):
	"""Pixel array; compressed files are decoded with DCMTK first (pydicom here has no codec)."""
	if ts != "1.2.840.10008.1.2.1":
		tool = "dcmdrle" if ts == "1.2.840.10008.1.2.5" else "dcmdjpeg"
		out = os.path.join(tmp, "decoded.dcm")
		r = run([tool, path, out])
		check(r.returncode == 0, "%s %s failed: %s" % (tool, path, r.stdout))
		path = out
	return pydicom.dcmread(path).pixel_array


def t_markers(a, tmp):
	"""The documented pixel marker and index strip are in every generated image."""
	doc = load(a.data)
	n = 0
	for p in doc["patients"]:
		if p.get("big"):
			continue
		for st in p["studies"]:
			for se in st["series"]:
				v, tol = se["marker_value"], se["marker_tolerance"]
				for i in se["instances"][:3]:
					px = pixels(os.path.join(a.data, i["path"]), se["transfer_syntax"], tmp)
					sq = px[8:24, 8:24]
					check(abs(int(sq.min()) - v) <= tol and abs(int(sq.max()) - v) <= tol,
						"%s: marker square %d..%d, expected %d" % (i["path"], sq.min(),
						sq.max(), v))
					num = 0
					for b in range(16):
						blk = int(px[2:6, 42 + 8 * b:46 + 8 * b].mean())
						if abs(blk - v) <= tol + 2:
							num |= 1 << b
					check(num == i["instance_number"], "%s: index strip says %d, "
						"InstanceNumber %d" % (i["path"], num, i["instance_number"]))
					n += 1
	print("markers: %d images carry the documented marker and index strip" % n)


TESTS = {"names": t_names, "misfiled": t_misfiled, "tsyntax": t_tsyntax, "noget": t_noget,
	"tls": t_tls, "corrupt": t_corrupt, "refusal": t_refusal, "generator": t_generator,
	"markers": t_markers}


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("test", choices=sorted(TESTS))
	ap.add_argument("--data", required=True)
	ap.add_argument("--port", type=int, default=4242)
	ap.add_argument("--http-port", type=int, default=8044)
	ap.add_argument("--move-port", type=int, default=11114)
	ap.add_argument("--pacs-dir")
	ap.add_argument("--scratch")
	a = ap.parse_args()
	tmp = tempfile.mkdtemp(prefix="hwsim-" + a.test + "-")
	try:
		rc = TESTS[a.test](a, tmp)
		return rc or 0
	except Fail as e:
		print("FAIL %s: %s" % (a.test, e))
		return 1
	finally:
		shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
	sys.exit(main())
