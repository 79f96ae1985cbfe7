#!/usr/bin/python3
"""Synthetic, deterministic DICOM patients for the simulated PACS (hw-sim).

Usage: generate.py --out DIR [--big] [--force]

Writes DICOM Part-10 files under DIR/<patient-key>/<study>/<series>/<instance>.dcm and
DIR/patients.json, which describes every patient, study, series and instance (see
hw-sim/README.md for the meaning of each patient). Same output on every run: every UID is
2.25.<UUIDv5 of a fixed name> (PS3.5 B.2: a UUID-derived UID needs no registered root), every
date is fixed, the only "noise" comes from a seeded generator.

Every image carries a marker a viewer test can look for (PS3.3 C.7.6.3 pixel data, rows and
columns counted from the top-left pixel):
  - a square in rows 0..31, columns 0..31, filled with the series' "marker_value" (stored
    pixel value, before Modality LUT);
  - an "index strip" in rows 0..7: for bit b (0..15) of InstanceNumber, the 8x8 block at
    columns 40+8b .. 47+8b holds marker_value when the bit is set, else the image minimum.
Lossy series (JPEG baseline) only keep these approximately: compare the middle of the blocks
with a tolerance (see "marker_tolerance").

Needs /usr/bin/python3 with pydicom 2.3 and numpy (Debian), and DCMTK's dcmcjpeg / dcmcrle.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

GEN_VERSION = "1"
UID_NAMESPACE = uuid.UUID("6f1d7c6e-3b0a-5c1e-9a55-48616e646f66")  # fixed; "Handof" in hex tail
ISSUER = "HANDOFF-SIM"
INSTITUTION = "Handoff Simulated Clinic"
MARKER_SIZE = 32

TS_EXPLICIT = "1.2.840.10008.1.2.1"
TS_JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
TS_JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
TS_RLE = "1.2.840.10008.1.2.5"

SOP_CR = "1.2.840.10008.5.1.4.1.1.1"
SOP_CT = "1.2.840.10008.5.1.4.1.1.2"
SOP_MR = "1.2.840.10008.5.1.4.1.1.4"
SOP_SC = "1.2.840.10008.5.1.4.1.1.7"
SOP_BY_MODALITY = {"CR": SOP_CR, "CT": SOP_CT, "MR": SOP_MR, "OT": SOP_SC}


def uid(*parts):
	"""A UID derived from a fixed name: 2.25.<decimal of a UUIDv5> (PS3.5 B.2)."""
	return "2.25." + str(uuid.uuid5(UID_NAMESPACE, "/".join(str(p) for p in parts)).int)


# ---------------------------------------------------------------------------------------------
# Phantoms

def _grid(rows, cols):
	y = (np.arange(rows, dtype=np.float32) - (rows - 1) / 2) / (rows / 2)
	x = (np.arange(cols, dtype=np.float32) - (cols - 1) / 2) / (cols / 2)
	return np.meshgrid(x, y)


# 3D Shepp-Logan (Kak & Slaney, with the usual "modified" contrast), values here in HU-like
# units added on top of each other: (value, a, b, c, x0, y0, z0, phi-degrees)
SHEPP_LOGAN_3D = [
	(1000.0, 0.69, 0.92, 0.90, 0.0, 0.0, 0.0, 0.0),
	(-960.0, 0.6624, 0.874, 0.88, 0.0, -0.0184, 0.0, 0.0),
	(-20.0, 0.11, 0.31, 0.22, 0.22, 0.0, -0.25, -18.0),
	(-20.0, 0.16, 0.41, 0.28, -0.22, 0.0, -0.25, 18.0),
	(30.0, 0.21, 0.25, 0.41, 0.0, 0.35, -0.25, 0.0),
	(30.0, 0.046, 0.046, 0.05, 0.0, 0.1, -0.25, 0.0),
	(30.0, 0.046, 0.046, 0.05, 0.0, -0.1, -0.25, 0.0),
	(40.0, 0.046, 0.023, 0.05, -0.08, -0.605, -0.25, 0.0),
	(40.0, 0.023, 0.023, 0.02, 0.0, -0.606, -0.25, 0.0),
	(40.0, 0.023, 0.046, 0.02, 0.06, -0.605, -0.25, 0.0),
]


class Shepp:
	"""Slices of a 3D Shepp-Logan-like head; z in [-1, 1]. Background is air (-1000 HU)."""

	def __init__(self, rows, cols, seed):
		self.x, self.y = _grid(rows, cols)
		self.y = -self.y
		rng = np.random.default_rng(seed)
		self.noise = rng.normal(0.0, 6.0, size=(rows * 2, cols * 2)).astype(np.float32)

	def slice(self, z, k):
		img = np.full(self.x.shape, -1000.0, dtype=np.float32)
		for val, a, b, c, x0, y0, z0, phi in SHEPP_LOGAN_3D:
			dz = (z - z0) / c
			if abs(dz) >= 1.0:
				continue
			s = 1.0 - dz * dz
			t = np.deg2rad(phi)
			xr = (self.x - x0) * np.cos(t) + (self.y - y0) * np.sin(t)
			yr = -(self.x - x0) * np.sin(t) + (self.y - y0) * np.cos(t)
			img[(xr * xr) / (a * a) + (yr * yr) / (b * b) <= s] += val
		r, c = self.x.shape
		oy, ox = (k * 37) % r, (k * 53) % c
		return img + self.noise[oy:oy + r, ox:ox + c]


def chest(rows, cols, lateral, seed):
	"""A chest-radiograph-like phantom (ellipses), 12-bit stored values, MONOCHROME2."""
	x, y = _grid(rows, cols)
	img = np.full((rows, cols), 200.0, dtype=np.float32)

	def ell(cx, cy, a, b, val):
		img[((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1.0] += val

	if not lateral:
		ell(0.0, 0.05, 0.85, 0.95, 1500)           # body
		ell(-0.38, -0.05, 0.28, 0.62, -1100)       # right lung
		ell(0.38, -0.05, 0.28, 0.62, -1100)        # left lung
		ell(0.12, 0.25, 0.26, 0.22, 700)           # heart
		img[:, (np.abs(x[0]) < 0.06)] += 900        # spine
		for i in range(8):                          # ribs
			ell(-0.38, -0.55 + i * 0.14, 0.34, 0.03, 250)
			ell(0.38, -0.55 + i * 0.14, 0.34, 0.03, 250)
		ell(0.0, -0.93, 0.5, 0.06, 600)            # clavicles
	else:
		ell(0.0, 0.05, 0.65, 0.95, 1500)
		ell(0.0, -0.05, 0.42, 0.62, -1000)
		ell(-0.15, 0.28, 0.24, 0.24, 650)
		img[:, (np.abs(x[0] - 0.55) < 0.08)] += 900
	rng = np.random.default_rng(seed)
	img += rng.normal(0.0, 12.0, size=img.shape).astype(np.float32)
	return img


def put_marker(arr, value, low, instance_number):
	"""Marker square and InstanceNumber index strip (documented in the module docstring)."""
	arr[0:MARKER_SIZE, 0:MARKER_SIZE] = value
	for b in range(16):
		c0 = 40 + 8 * b
		if c0 + 8 > arr.shape[1]:
			break
		arr[0:8, c0:c0 + 8] = value if (instance_number >> b) & 1 else low
	return arr


# ---------------------------------------------------------------------------------------------
# The patients (the model). Pixels are only produced while writing.

def P(key, name, birth, sex, purpose, charset="", issuer=ISSUER, pid=None, **kw):
	d = dict(key=key, patient_id=pid or key, issuer=issuer, name=name, birth_date=birth,
		sex=sex, charset=charset, purpose=purpose, studies=[])
	d.update(kw)
	return d


def S(p, n, desc, date, body_part, series, accession=None):
	st = dict(body_part=body_part, study_uid=uid(p["key"], "study", n), study_id=str(n), description=desc,
		date=date, time="093000", accession=accession or "ACC%s%02d" % (p["key"][3:], n),
		referring="WELBY^MARCUS", series=series)
	p["studies"].append(st)
	return st


def SE(n, modality, desc, kind, count, rows, cols, ts=TS_EXPLICIT, bits=16, extra=None):
	d = dict(number=n, modality=modality, description=desc, kind=kind, instance_count=count,
		rows=rows, cols=cols, transfer_syntax=ts, bits_allocated=bits, misfiled=[])
	if extra:
		d.update(extra)
	return d


def model(big):
	pts = []

	p = P("HO-0001", "DEMO^ALICE", "19800314", "F", "demo patient: small CR chest study, 2 images")
	S(p, 1, "CHEST 2 VIEWS", "20240115", "CHEST", [
		SE(1, "CR", "CHEST PA", "cr-pa", 1, 1024, 1024),
		SE(2, "CR", "CHEST LAT", "cr-lat", 1, 1024, 1024)])
	pts.append(p)

	p = P("HO-0002", "TEST^BOB", "19650722", "M",
		"large-ish CT: 300 slices 512x512 16-bit (~150 MB), Explicit VR LE")
	S(p, 1, "CT HEAD WO CONTRAST", "20240210", "HEAD", [
		SE(1, "CT", "AXIAL 1.0 MM", "ct", 300, 512, 512)])
	pts.append(p)

	p = P("HO-0003", "Müller^Jürgen", "19720229", "M",
		"non-ASCII name, ISO_IR 100 (Latin-1); small MR", charset="ISO_IR 100")
	S(p, 1, "MRT Schädel", "20240301", "HEAD", [SE(1, "MR", "T1 axial", "mr", 12, 256, 256)])
	pts.append(p)

	p = P("HO-0004", "Yamada^Tarou=山田^太郎=やまだ^たろう", "19580101", "M",
		"Japanese name, ISO 2022 IR 87 (Kanji, with ideographic and phonetic groups); CR",
		charset="\\ISO 2022 IR 87")
	S(p, 1, "CHEST PA", "20240305", "CHEST", [SE(1, "CR", "CHEST PA", "cr-pa", 1, 512, 512)])
	pts.append(p)

	p = P("HO-0005", "Παπαδόπουλος^Νίκος", "19900606", "M",
		"Greek name, ISO_IR 126; CR", charset="ISO_IR 126")
	S(p, 1, "ΘΩΡΑΚΑΣ", "20240307", "CHEST", [SE(1, "CR", "CHEST PA", "cr-pa", 1, 512, 512)])
	pts.append(p)

	p = P("HO-0006", "SMITH^JOHN", "19500412", "M",
		"same name as HO-0007, different birth date and ID; CR")
	S(p, 1, "CHEST PA", "20231120", "CHEST", [SE(1, "CR", "CHEST PA", "cr-pa", 1, 512, 512)])
	pts.append(p)

	p = P("HO-0007", "SMITH^JOHN", "19820917", "M",
		"same name as HO-0006, different birth date and ID; CR")
	S(p, 1, "CHEST PA", "20240118", "CHEST", [SE(1, "CR", "CHEST PA", "cr-pa", 1, 512, 512)])
	pts.append(p)

	p = P("HO-0008", "COMPRESS^CARL", "19770808", "M",
		"compressed transfer syntaxes: JPEG baseline (8-bit), JPEG lossless SV1, RLE; MR")
	S(p, 1, "MR KNEE", "20240220", "KNEE", [
		SE(1, "OT", "KEY IMAGES JPEG BASELINE", "sc8", 12, 256, 256, TS_JPEG_BASELINE, bits=8),
		SE(2, "MR", "T1 JPEG LOSSLESS SV1", "mr", 12, 256, 256, TS_JPEG_LOSSLESS_SV1),
		SE(3, "MR", "T2 RLE", "mr", 12, 256, 256, TS_RLE)])
	pts.append(p)

	p = P("HO-0009", "MISFILE^MARY", "19881103", "F",
		"misfiled instances inside her CT series (see misfiled[] and README)")
	S(p, 1, "CT CHEST", "20240222", "CHEST", [
		SE(1, "CT", "AXIAL 5 MM", "ct", 8, 256, 256, extra=dict(misfiled=[
			# Same PatientID, another issuer (assigning authority): another person.
			dict(variant="same-id-other-issuer", patient_id="HO-0009",
				issuer="OTHER-HOSPITAL", name="STRANGER^SAM", birth_date="19450101",
				sex="M"),
			# Another PatientID filed with her Study/Series Instance UIDs.
			dict(variant="other-id-same-series", patient_id="HO-0010", issuer=ISSUER,
				name="OTHER^OLIVER", birth_date="19700707", sex="M")]))])
	pts.append(p)

	if big:
		p = P("HO-0099", "BENCH^BIG", "19600101", "O",
			"benchmarks only (--big): 2000 slices 512x512 CT, ~1 GB", big=True)
		S(p, 1, "CT BENCHMARK", "20240401", "HEAD", [
			SE(1, "CT", "AXIAL 0.5 MM", "ct", 2000, 512, 512)])
		pts.append(p)
	return pts


# ---------------------------------------------------------------------------------------------
# Writing

def base_dataset(p, st, se, sop_class, sop_uid, ts):
	meta = FileMetaDataset()
	meta.MediaStorageSOPClassUID = sop_class
	meta.MediaStorageSOPInstanceUID = sop_uid
	meta.TransferSyntaxUID = ts
	meta.ImplementationClassUID = uid("implementation")
	meta.ImplementationVersionName = "HOSIM_" + GEN_VERSION
	ds = Dataset()
	ds.file_meta = meta
	ds.is_little_endian = True
	ds.is_implicit_VR = False
	if p["charset"]:
		ds.SpecificCharacterSet = p["charset"]
	ds.ImageType = {"CT": ["ORIGINAL", "PRIMARY", "AXIAL"], "MR": ["ORIGINAL", "PRIMARY", "OTHER"],
		"OT": ["DERIVED", "SECONDARY"]}.get(se["modality"], ["ORIGINAL", "PRIMARY"])
	ds.SOPClassUID = sop_class
	ds.SOPInstanceUID = sop_uid
	ds.StudyDate = st["date"]
	ds.SeriesDate = st["date"]
	ds.AcquisitionDate = st["date"]
	ds.ContentDate = st["date"]
	ds.StudyTime = st["time"]
	ds.SeriesTime = "%06d" % (int(st["time"]) + 100 * se["number"])
	ds.ContentTime = ds.SeriesTime
	ds.AccessionNumber = st["accession"]
	ds.Modality = se["modality"]
	ds.Manufacturer = "Handoff Simulator"
	ds.InstitutionName = INSTITUTION
	ds.ReferringPhysicianName = st["referring"]
	ds.StationName = "HWSIM-" + se["modality"]
	ds.StudyDescription = st["description"]
	ds.SeriesDescription = se["description"]
	ds.ManufacturerModelName = "Phantom " + se["modality"]
	ds.PatientName = p["name"]
	ds.PatientID = p["patient_id"]
	ds.IssuerOfPatientID = p["issuer"]
	ds.PatientBirthDate = p["birth_date"]
	ds.PatientSex = p["sex"]
	ds.StudyInstanceUID = st["study_uid"]
	ds.SeriesInstanceUID = se["series_uid"]
	ds.StudyID = st["study_id"]
	ds.SeriesNumber = se["number"]
	ds.PatientOrientation = ""
	ds.SamplesPerPixel = 1
	ds.PhotometricInterpretation = "MONOCHROME2"
	ds.Rows = se["rows"]
	ds.Columns = se["cols"]
	return ds


def set_pixels(ds, arr, bits):
	if bits == 8:
		ds.BitsAllocated = 8
		ds.BitsStored = 8
		ds.HighBit = 7
		data = arr.astype(np.uint8)
	else:
		ds.BitsAllocated = 16
		ds.BitsStored = 12
		ds.HighBit = 11
		data = arr.astype(np.uint16)
	ds.PixelRepresentation = 0
	ds.PixelData = data.tobytes()


def write_series(out, p, st, se, patient_dir, stats):
	kind, n, rows, cols, bits = se["kind"], se["instance_count"], se["rows"], se["cols"], \
		se["bits_allocated"]
	rel_dir = os.path.join(patient_dir, "ST%02d" % int(st["study_id"]), "SE%02d" % se["number"])
	os.makedirs(os.path.join(out, rel_dir), exist_ok=True)
	seed = int(hashlib.sha256(se["series_uid"].encode()).hexdigest()[:8], 16)
	sop_class = SOP_BY_MODALITY[se["modality"]]
	need_codec = se["transfer_syntax"] != TS_EXPLICIT
	shepp = Shepp(rows, cols, seed) if kind in ("ct", "mr", "sc8") else None
	for_uid = uid(p["key"], st["study_id"], se["number"], "frame-of-reference")
	thickness = {"ct": 1.0, "mr": 4.0, "sc8": 4.0}.get(kind, 0.0)
	if kind == "ct" and n <= 20:
		thickness = 5.0
	if kind == "ct" and n > 1000:
		thickness = 0.5
	spacing = 256.0 / cols
	se["marker_value"] = 255 if bits == 8 else 4095
	se["marker_tolerance"] = 24 if se["transfer_syntax"] == TS_JPEG_BASELINE else 0
	se["instances"] = []
	owners = [None] * n + list(se["misfiled"])
	for k, owner in enumerate(owners):
		inum = k + 1
		sop_uid = uid(p["key"], st["study_id"], se["number"], inum)
		ds = base_dataset(p, st, se, sop_class, sop_uid, TS_EXPLICIT)
		if owner is not None:
			ds.PatientName = owner["name"]
			ds.PatientID = owner["patient_id"]
			ds.IssuerOfPatientID = owner["issuer"]
			ds.PatientBirthDate = owner["birth_date"]
			ds.PatientSex = owner["sex"]
		ds.InstanceNumber = inum
		if kind.startswith("cr"):
			img = chest(rows, cols, kind == "cr-lat", seed + k)
			ds.BodyPartExamined = "CHEST"
			ds.ViewPosition = "LL" if kind == "cr-lat" else "PA"
			ds.ImagerPixelSpacing = [0.35, 0.35] if rows >= 1024 else [0.7, 0.7]
			ds.WindowCenter = 1400
			ds.WindowWidth = 2600
			ds.RescaleIntercept = 0
			ds.RescaleSlope = 1
			ds.RescaleType = "US"
			stored = np.clip(img, 0, 4094)
			low = 0
		else:
			zc = -1.0 + 2.0 * (k % max(n, 1) + 0.5) / max(n, 1)
			hu = shepp.slice(zc * 0.95, k)
			z = -thickness * n / 2 + thickness * (k % max(n, 1))
			if kind == "sc8":
				# Secondary Capture (PS3.3 A.8.1): 8-bit key images, no image plane.
				ds.ConversionType = "WSD"
				ds.PixelSpacing = [spacing, spacing]
				ds.BodyPartExamined = st["body_part"]
				ds.Laterality = "R"
				ds.WindowCenter = 110
				ds.WindowWidth = 220
				mr = np.clip(hu + 1000, 0, None)
				stored = np.clip(mr * (200.0 / 1100.0), 0, 254)
				low = 0
			else:
				ds.ImagePositionPatient = [-spacing * cols / 2, -spacing * rows / 2, round(z, 3)]
				ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
				ds.PixelSpacing = [spacing, spacing]
				ds.SliceThickness = thickness
				ds.SliceLocation = round(z, 3)
				ds.FrameOfReferenceUID = for_uid
				ds.PositionReferenceIndicator = ""
				ds.PatientPosition = "HFS"
				ds.BodyPartExamined = st["body_part"]
				if st["body_part"] == "KNEE":
					ds.Laterality = "R"  # paired body part: Type 2C in General Series (C.7.3.1)
				ds.AcquisitionNumber = 1
				if kind == "ct":
					ds.KVP = 120
					ds.ConvolutionKernel = "STANDARD"
					ds.RescaleIntercept = -1024
					ds.RescaleSlope = 1
					ds.RescaleType = "HU"
					ds.WindowCenter = [40, 400]
					ds.WindowWidth = [80, 1500]
					stored = np.clip(hu + 1024, 0, 4094)
					low = 0
				else:
					ds.ScanningSequence = "SE"
					ds.SequenceVariant = "NONE"
					ds.ScanOptions = ""
					ds.MRAcquisitionType = "2D"
					ds.RepetitionTime = 500
					ds.EchoTime = 15
					ds.MagneticFieldStrength = 1.5
					ds.ImagedNucleus = "1H"
					ds.EchoTrainLength = 1
					mr = np.clip(hu + 1000, 0, None)
					stored = np.clip(mr * 2.0, 0, 4094)
					ds.WindowCenter = 1100
					ds.WindowWidth = 2200
					low = 0
		stored = put_marker(stored, se["marker_value"], low, inum)
		set_pixels(ds, stored, bits)
		rel = os.path.join(rel_dir, "IM%04d.dcm" % inum)
		path = os.path.join(out, rel)
		if need_codec:
			raw = path + ".raw"
			ds.save_as(raw, write_like_original=False)
			compress(raw, path, se["transfer_syntax"])
			os.unlink(raw)
		else:
			ds.save_as(path, write_like_original=False)
		stats["files"] += 1
		stats["bytes"] += os.path.getsize(path)
		inst = dict(sop_uid=sop_uid, sop_class=sop_class, instance_number=inum, path=rel,
			misfiled=owner is not None)
		if owner is not None:
			inst.update(owner_patient_id=owner["patient_id"], owner_issuer=owner["issuer"],
				owner_name=owner["name"], variant=owner["variant"])
			owner["sop_uid"] = sop_uid
		se["instances"].append(inst)
	se.pop("kind")


def compress(src, dst, ts):
	# --uid-never: keep the SOP Instance UID we documented, even for lossy JPEG (a real
	# modality that compresses at acquisition also assigns its UID only once).
	if ts == TS_JPEG_BASELINE:
		cmd = ["dcmcjpeg", "+eb", "+un", src, dst]
	elif ts == TS_JPEG_LOSSLESS_SV1:
		cmd = ["dcmcjpeg", "+e1", "+un", src, dst]
	elif ts == TS_RLE:
		cmd = ["dcmcrle", "+un", src, dst]
	else:
		raise ValueError(ts)
	subprocess.run(cmd, check=True)


def fill_uids(pts):
	for p in pts:
		for st in p["studies"]:
			for se in st["series"]:
				se["series_uid"] = uid(p["key"], st["study_id"], se["number"])


def stamp_text(part):
	with open(os.path.abspath(__file__), "rb") as f:
		h = hashlib.sha256(f.read()).hexdigest()
	return "hwsim-gen version=%s part=%s script-sha256=%s\n" % (GEN_VERSION, part, h)


def stamp_ok(out, part):
	try:
		with open(os.path.join(out, ".stamp-" + part)) as f:
			return f.read() == stamp_text(part)
	except OSError:
		return False


def generate_part(out, pts, part, stats):
	for p in pts:
		if bool(p.get("big")) != (part == "big"):
			continue
		shutil.rmtree(os.path.join(out, p["key"]), ignore_errors=True)
		for st in p["studies"]:
			for se in st["series"]:
				write_series(out, p, st, se, p["key"], stats)
	with open(os.path.join(out, ".stamp-" + part), "w") as f:
		f.write(stamp_text(part))


def describe(pts):
	"""patients.json content without writing pixels (paths and UIDs are deterministic)."""
	# write_series fills per-instance details; for a part we skip, reproduce them cheaply.
	for p in pts:
		for st in p["studies"]:
			for se in st["series"]:
				if "instances" in se:
					continue
				se.pop("kind", None)
				rel_dir = os.path.join(p["key"], "ST%02d" % int(st["study_id"]),
					"SE%02d" % se["number"])
				sop_class = SOP_BY_MODALITY[se["modality"]]
				se["marker_value"] = 255 if se["bits_allocated"] == 8 else 4095
				se["marker_tolerance"] = 24 if se["transfer_syntax"] == TS_JPEG_BASELINE \
					else 0
				se["instances"] = []
				owners = [None] * se["instance_count"] + list(se["misfiled"])
				for k, owner in enumerate(owners):
					inum = k + 1
					sop_uid = uid(p["key"], st["study_id"], se["number"], inum)
					inst = dict(sop_uid=sop_uid, sop_class=sop_class, instance_number=inum,
						path=os.path.join(rel_dir, "IM%04d.dcm" % inum),
						misfiled=owner is not None)
					if owner is not None:
						inst.update(owner_patient_id=owner["patient_id"],
							owner_issuer=owner["issuer"], owner_name=owner["name"],
							variant=owner["variant"])
						owner["sop_uid"] = sop_uid
					se["instances"].append(inst)


def main():
	ap = argparse.ArgumentParser(description="Generate the hw-sim synthetic DICOM patients.")
	ap.add_argument("--out", required=True, help="output directory")
	ap.add_argument("--big", action="store_true", help="also the ~1 GB benchmark CT (HO-0099)")
	ap.add_argument("--force", action="store_true", help="regenerate even if the stamp matches")
	args = ap.parse_args()
	out = os.path.abspath(args.out)
	os.makedirs(out, exist_ok=True)
	t0 = time.monotonic()
	have_big = args.big or stamp_ok(out, "big")
	pts = model(have_big)
	fill_uids(pts)
	stats = {"files": 0, "bytes": 0}
	did = []
	for part in ("default", "big"):
		if part == "big" and not args.big:
			continue
		if not args.force and stamp_ok(out, part):
			continue
		generate_part(out, pts, part, stats)
		did.append(part)
	describe(pts)
	doc = {
		"generator_version": GEN_VERSION,
		"uid_root": "2.25 (UUIDv5, namespace %s, of '<key>/<study>/<series>/<n>')"
			% UID_NAMESPACE,
		"marker": {"rows": [0, MARKER_SIZE], "cols": [0, MARKER_SIZE],
			"index_strip": "rows 0..7, 8x8 block at cols 40+8b for bit b of InstanceNumber",
			"value": "series.marker_value (stored value); series.marker_tolerance for lossy"},
		"patients": pts,
	}
	tmp = os.path.join(out, ".patients.json.tmp")
	with open(tmp, "w", encoding="utf-8") as f:
		json.dump(doc, f, ensure_ascii=False, indent=1, sort_keys=True)
		f.write("\n")
	os.replace(tmp, os.path.join(out, "patients.json"))
	dt = time.monotonic() - t0
	if did:
		print("generate.py: wrote %s: %d files, %.1f MB in %.1f s -> %s" % (
			"+".join(did), stats["files"], stats["bytes"] / 1e6, dt, out))
	else:
		print("generate.py: %s is up to date (stamp matches version %s)" % (out, GEN_VERSION))
	return 0


if __name__ == "__main__":
	sys.exit(main())
