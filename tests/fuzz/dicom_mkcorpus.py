#!/usr/bin/python3
"""Regenerates tests/fuzz/corpus/dicom (seed inputs for dicom_fuzz): small Part 10 files with
the character sets of PS3.5 annexes H-J and broken variants. Usage: dicom_mkcorpus.py OUTDIR"""
import os, sys
import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
out = sys.argv[1]
R = "1.2.826.0.1.3680043.10.1011.9"
def mk(name, charset=None, pname="A^B", implicit=False, extra=None):
    m = FileMetaDataset()
    m.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    m.MediaStorageSOPInstanceUID = R + ".1"
    m.TransferSyntaxUID = "1.2.840.10008.1.2" if implicit else "1.2.840.10008.1.2.1"
    m.ImplementationClassUID = R + ".99"
    ds = FileDataset(None, {}, file_meta=m, preamble=b"\0" * 128)
    ds.is_implicit_VR = implicit
    ds.is_little_endian = True
    if charset:
        ds.SpecificCharacterSet = charset
    ds.SOPClassUID = m.MediaStorageSOPClassUID
    ds.SOPInstanceUID = R + ".1"
    ds.StudyInstanceUID = R + ".2"
    ds.SeriesInstanceUID = R + ".3"
    ds.PatientID = "F1"
    ds.PatientName = pname
    ds.Modality = "OT"
    ds.SeriesNumber = 1
    ds.Rows = 4; ds.Columns = 4; ds.BitsAllocated = 8; ds.BitsStored = 8; ds.HighBit = 7
    ds.SamplesPerPixel = 1; ds.PixelRepresentation = 0; ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(16)
    if extra: extra(ds)
    p = os.path.join(out, name)
    ds.save_as(p, write_like_original=False)
    return p
mk("ascii.dcm")
mk("implicit.dcm", implicit=True)
mk("latin1.dcm", "ISO_IR 100", "Müller^Jürgen")
mk("greek.dcm", "ISO_IR 126", "Παπαδόπουλος^Νίκος")
mk("utf8.dcm", "ISO_IR 192", "Łukasz^Żółć")
mk("ir87.dcm", ["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう")
# raw byte variants of PatientName for the ISO 2022 decoder
def raw(name, cs, val):
    p = mk(name, cs, "X" * 8)
    b = open(p, "rb").read()
    i = b.find(b"XXXXXXXX")
    v = val + (b" " if len(val) % 2 else b"")
    # rewrite length of PN element (explicit VR: tag(4) VR(2) len(2))
    L = int.from_bytes(b[i-2:i], "little")
    b = b[:i-2] + len(v).to_bytes(2, "little") + v + b[i+L:]
    open(p, "wb").write(b)
raw("ir13.dcm", "ISO 2022 IR 13", b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3")
raw("ir149.dcm", ["", "ISO 2022 IR 149"], b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf")
raw("ir58.dcm", ["", "ISO 2022 IR 58"], b"Zhang^XiaoDong=\x1b$)A\xd5\xc5^\x1b$)A\xd0\xa1\xb6\xab")
raw("esc_bad.dcm", ["", "ISO 2022 IR 87"], b"A^\x1b$Z\x41\x42")
raw("esc_end.dcm", ["", "ISO 2022 IR 87"], b"A^B\x1b")
raw("jis_odd.dcm", ["", "ISO 2022 IR 87"], b"\x1b$B;3E\x1b(B")
raw("g1_none.dcm", ["", "ISO 2022 IR 87"], b"\xa4\xa2^B")
raw("ir100_2022.dcm", ["ISO 2022 IR 100"], b"M\xfcller^J")
raw("cs_unknown.dcm", "ISO_IR 999", b"M\xfcller")
b = open(os.path.join(out, "ascii.dcm"), "rb").read()
open(os.path.join(out, "trunc_meta.dcm"), "wb").write(b[:150])
open(os.path.join(out, "trunc_ds.dcm"), "wb").write(b[:len(b)//2])
open(os.path.join(out, "no_preamble.dcm"), "wb").write(b[128:])
open(os.path.join(out, "empty.dcm"), "wb").write(b"")
# huge length in the first data set element
i = b.find(b"\x08\x00\x05\x00") if b.find(b"\x08\x00\x05\x00") > 0 else b.find(b"\x08\x00\x16\x00")
bb = bytearray(b); bb[i+6:i+8] = b"\xff\xff"
open(os.path.join(out, "big_len.dcm"), "wb").write(bytes(bb))
