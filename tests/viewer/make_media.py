#!/usr/bin/python3
"""Builds PDI-like test file-sets for the viewer tests (pydicom + numpy + DCMTK tools).

Every image has a known pattern so tests can check rendered pixels:
  - a bright 32x32 square at rows/cols 16..47 (image coordinates),
  - dark everywhere else,
  - slice k (0-based) has an extra bright 8x8 marker at row 200, cols 16+16k..23+16k
    (only in images of >= 256 rows), so slice scrolling can be checked.

Usage: make_media.py OUT [--set basic|codecs|big] [--size N] [--count N]
Writes OUT/DICOMDIR and OUT/DICOM/P0000001/S0000001/SE00000n/I000000k and prints a JSON
description of the series (number, kind, expected colours) on stdout.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

CT = "1.2.840.10008.5.1.4.1.1.2"
SC = "1.2.840.10008.5.1.4.1.1.7"
ROOT = "1.2.826.0.1.3680043.10.1024"
STUDY_UID = ROOT + ".1.1"
# Untrusted text on purpose: non-ASCII (kept in UTF-8) and markup that must stay text.
PATIENT = "Müller^Zoë <img src onerror><script>alert(1)</script>"


def pattern(rows, cols, k, bg, fg):
    a = np.full((rows, cols), bg, dtype=np.int32)
    a[16:48, 16:48] = fg
    if rows >= 256:
        c = 16 + 16 * k
        a[200:208, c:c + 8] = fg
    return a


def base(series_no, inst_no, series_uid, sop_class, ts, modality, desc):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = f"{ROOT}.2.{series_no}.{inst_no}"
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = ROOT + ".9"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = ts == ImplicitVRLittleEndian
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = PATIENT
    ds.PatientID = "VT0001"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = STUDY_UID
    ds.StudyDate = "20260314"
    ds.StudyTime = "101500"
    ds.StudyID = "1"
    ds.AccessionNumber = "A1"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "Viewer phantom"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_no
    ds.SeriesDescription = desc
    ds.Modality = modality
    ds.InstanceNumber = inst_no
    ds.ConversionType = "WSD"
    return ds


def write_series(out, series_no, kind, count, size):
    uid = f"{ROOT}.3.{series_no}"
    d = os.path.join(out, "DICOM", "P0000001", "S0000001", f"SE{series_no:06d}")
    os.makedirs(d, exist_ok=True)
    paths = []
    if kind == "multiframe":
        # One Multi-frame Grayscale Byte SC object (PS3.3 A.8.3) holding `count` frames;
        # frame k carries slice k's marker.
        ds = base(series_no, 1, uid, "1.2.840.10008.5.1.4.1.1.7.2", ExplicitVRLittleEndian,
                  "OT", kind)
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = ds.Columns = size
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.NumberOfFrames = count
        ds.FrameIncrementPointer = 0x00181063
        ds.FrameTime = 100
        frames = [pattern(size, size, k, 10, 240).astype("u1") for k in range(count)]
        ds.PixelData = np.stack(frames).tobytes()
        p = os.path.join(d, "I0000001")
        ds.save_as(p, write_like_original=False)
        return {"number": series_no, "kind": kind, "count": count, "size": size}
    for k in range(count):
        ts = ImplicitVRLittleEndian if kind == "implicit12" else ExplicitVRLittleEndian
        if kind in ("ct16s", "implicit12", "jpegll", "rle", "big", "j2k", "jpegls",
                    "jpeg12"):
            ds = base(series_no, k + 1, uid, CT, ts, "CT", kind)
            ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
            ds.PixelSpacing = [0.7, 0.7]
            ds.SliceThickness = 1.0
            ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
            ds.ImagePositionPatient = [0, 0, float(k)]
            ds.RescaleType = "HU"
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.Rows = ds.Columns = size
            ds.BitsAllocated = 16
            ds.KVP = 120
            if kind in ("ct16s", "big"):
                # signed, stored value = HU
                ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, 1
                ds.RescaleIntercept, ds.RescaleSlope = 0, 1
                arr = pattern(size, size, k, -1000, 1000).astype("<i2")
            else:
                # unsigned 12-bit, HU = stored - 1024; junk in the unused high bits of
                # the uncompressed one checks that the viewer masks to Bits Stored
                ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
                ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
                arr = pattern(size, size, k, 24, 2024).astype("<u2")
                if kind == "implicit12":
                    arr = arr | 0xF000
            ds.WindowCenter, ds.WindowWidth = 0, 400
        elif kind in ("jpeg8", "mono1"):
            ds = base(series_no, k + 1, uid, SC, ts, "OT", kind)
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME1" if kind == "mono1" else "MONOCHROME2"
            ds.Rows = ds.Columns = size
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
            bg, fg = (235, 20) if kind == "mono1" else (20, 230)
            arr = pattern(size, size, k, bg, fg).astype("u1")
        elif kind == "rgb":
            ds = base(series_no, k + 1, uid, SC, ts, "OT", kind)
            ds.SamplesPerPixel = 3
            ds.PlanarConfiguration = 0
            ds.PhotometricInterpretation = "RGB"
            ds.Rows = ds.Columns = size
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
            m = pattern(size, size, k, 0, 1)
            arr = np.zeros((size, size, 3), dtype="u1")
            arr[..., 2] = 40
            arr[m == 1] = (255, 0, 0)
        else:
            raise SystemExit("unknown kind " + kind)
        ds.PixelData = arr.tobytes()
        p = os.path.join(d, f"I{k + 1:07d}")
        ds.save_as(p, write_like_original=False)
        paths.append(p)
    if kind == "j2k":
        # JPEG 2000 lossless (PS3.5 A.4.4), one fragment per frame
        from pydicom.encaps import encapsulate
        enc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "j2k_encode.cjs")
        for p in paths:
            ds = pydicom.dcmread(p)
            with open(p + ".raw", "wb") as f:
                f.write(ds.PixelData)
            subprocess.run(["node", enc, p + ".raw", p + ".j2k", str(ds.Columns), str(ds.Rows),
                            str(ds.BitsStored), str(ds.PixelRepresentation), "1"], check=True)
            with open(p + ".j2k", "rb") as f:
                ds.PixelData = encapsulate([f.read()])
            ds["PixelData"].VR = "OB"
            ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
            ds.is_implicit_VR = False
            ds.save_as(p, write_like_original=False)
            os.unlink(p + ".raw")
            os.unlink(p + ".j2k")
    tool = {"jpegll": ["dcmcjpeg", "+e1"], "jpeg8": ["dcmcjpeg", "+eb"],
            "rle": ["dcmcrle"],
            "jpegls": ["dcmcjpls", "+el"], "jpeg12": ["dcmcjpeg", "+ee"]}.get(kind)
    if tool:
        for p in paths:
            subprocess.run(tool + [p, p + ".tmp"], check=True)
            os.replace(p + ".tmp", p)
    out = {"number": series_no, "kind": kind, "count": count, "size": size}
    if kind == "jpeg12":
        # Negative case: 12-bit JPEG extended is not decodable in a browser; the viewer
        # must say so in plain words and keep working.
        out["expect_error"] = "viewer cannot show"
    return out


SETS = {
    "basic": [("ct16s", 3)],
    "codecs": [("ct16s", 3), ("implicit12", 1), ("jpegll", 2), ("rle", 2), ("jpeg8", 1),
               ("mono1", 1), ("rgb", 1), ("j2k", 2), ("multiframe", 3),
               ("jpegls", 2), ("jpeg12", 1)],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--set", default="basic", choices=["basic", "codecs", "big"])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--no-dicomdir", action="store_true")
    a = ap.parse_args()
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    series = []
    plan = SETS.get(a.set) or [("big", a.count)]
    for i, (kind, count) in enumerate(plan, start=1):
        series.append(write_series(a.out, i, kind, count, a.size))
    if not a.no_dicomdir:
        subprocess.run(["dcmmkdir", "-q", "+r", "-Nxc", "-Nec", "+I", "+id", a.out,
                        "+D", os.path.join(a.out, "DICOMDIR"), "DICOM"], check=True)
    json.dump({"patient": PATIENT, "series": series}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
