#!/usr/bin/python3
"""Writes the small DICOM files the dicom/ unit tests read (Debian's pydicom 2.3).

Usage: dicom_mkfiles.py OUTDIR

OUTDIR/le.dcm      CT, Explicit VR LE, 64x64x16 bit, ISO_IR 100 name "Müller^Jürgen"
OUTDIR/jp.dcm      SC, Explicit VR LE, ISO 2022 IR 87 name (PS3.5 H.3.1 example)
OUTDIR/il.dcm      CT, Implicit VR LE (same patient as le.dcm, another series)
OUTDIR/mr<N>.dcm   3 MR slices of one series, Explicit VR LE
OUTDIR/bad.dcm     a Part 10 preamble and "DICM" followed by garbage
OUTDIR/long.dcm    a Patient ID of 300 characters (over the LO cap of ho_dcm_record)
OUTDIR/nouid.dcm   lacks SOP Instance UID
The compressed variants (dcmcjpeg, dcmcrle) are made by the test driver with DCMTK tools.
"""
import os
import sys

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

ROOT = "1.2.826.0.1.3680043.10.1011"  # test-only UID root


def base(sop_class, sop_uid, study, series, modality, name, pid, charset):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = ROOT + ".99"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_implicit_VR = False
    ds.is_little_endian = True
    if charset:
        ds.SpecificCharacterSet = charset
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.PatientName = name
    ds.PatientID = pid
    ds.IssuerOfPatientID = "HOSP"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "M"
    ds.StudyDate = "20240102"
    ds.StudyTime = "101500"
    ds.StudyID = "1"
    ds.AccessionNumber = "ACC1"
    ds.StudyDescription = "Test study"
    ds.ReferringPhysicianName = ""
    ds.Modality = modality
    ds.SeriesNumber = 1
    ds.SeriesDescription = "Test series"
    ds.InstanceNumber = 1
    ds.Manufacturer = "Handoff test"
    ds.Rows = 64
    ds.Columns = 64
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    img = (np.add.outer(np.arange(64), np.arange(64)) * 31 % 4096).astype(np.uint16)
    ds.PixelData = img.tobytes()
    return ds


def ct_attrs(ds):
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.KVP = "120"
    ds.ImagePositionPatient = ["0", "0", "0"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.PixelSpacing = ["0.5", "0.5"]
    ds.SliceThickness = "1"
    ds.FrameOfReferenceUID = ROOT + ".5"
    ds.PositionReferenceIndicator = ""
    ds.AcquisitionNumber = 1
    ds.PatientOrientation = ""
    ds.ContentDate = ds.StudyDate
    ds.ContentTime = ds.StudyTime


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    ct = "1.2.840.10008.5.1.4.1.1.2"
    mr = "1.2.840.10008.5.1.4.1.1.4"
    sc = "1.2.840.10008.5.1.4.1.1.7"
    study = ROOT + ".1"

    ds = base(ct, ROOT + ".1.1.1", study, ROOT + ".1.1", "CT", "Müller^Jürgen", "HO-U-1",
              "ISO_IR 100")
    ct_attrs(ds)
    ds.save_as(os.path.join(out, "le.dcm"), write_like_original=False)

    ds = base(ct, ROOT + ".1.2.1", study, ROOT + ".1.2", "CT", "Müller^Jürgen", "HO-U-1",
              "ISO_IR 100")
    ct_attrs(ds)
    ds.SeriesNumber = 2
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    ds.is_implicit_VR = True
    ds.is_little_endian = True
    ds.save_as(os.path.join(out, "il.dcm"), write_like_original=False)

    for i in range(3):
        ds = base(mr, ROOT + ".1.3.%d" % (i + 1), study, ROOT + ".1.3", "MR",
                  "Müller^Jürgen", "HO-U-1", "ISO_IR 100")
        ds.SeriesNumber = 3
        ds.InstanceNumber = i + 1
        ds.ScanningSequence = "SE"
        ds.SequenceVariant = "NONE"
        ds.ScanOptions = ""
        ds.MRAcquisitionType = "2D"
        ds.EchoTime = "10"
        ds.EchoTrainLength = "1"
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
        ds.save_as(os.path.join(out, "mr%d.dcm" % (i + 1)), write_like_original=False)

    # PS3.5 H.3.1: Yamada^Tarou=山田^太郎=やまだ^たろう, ISO 2022 IR 87 for the ideographic
    # and phonetic groups. pydicom encodes with the iso2022_jp codec and the escapes.
    ds = base(sc, ROOT + ".2.1.1", ROOT + ".2", ROOT + ".2.1", "OT",
              "Yamada^Tarou=山田^太郎=やまだ^たろう", "HO-U-2", ["", "ISO 2022 IR 87"])
    ds.ConversionType = "WSD"
    ds.save_as(os.path.join(out, "jp.dcm"), write_like_original=False)

    ds = base(ct, ROOT + ".3.1.1", ROOT + ".3", ROOT + ".3.1", "CT", "Long^Id", "X" * 300,
              None)
    ct_attrs(ds)
    ds.save_as(os.path.join(out, "long.dcm"), write_like_original=False)

    ds = base(ct, ROOT + ".4.1.1", ROOT + ".4", ROOT + ".4.1", "CT", "No^Uid", "HO-U-4", None)
    ct_attrs(ds)
    del ds.SOPInstanceUID
    ds.save_as(os.path.join(out, "nouid.dcm"), write_like_original=False)

    # 8-bit secondary capture: input for dcmcjpeg +eb (JPEG baseline needs 8 bits).
    ds = base(sc, ROOT + ".2.2.1", ROOT + ".2", ROOT + ".2.2", "OT",
              "Yamada^Tarou=山田^太郎=やまだ^たろう", "HO-U-2", ["", "ISO 2022 IR 87"])
    ds.ConversionType = "WSD"
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelData = (np.add.outer(np.arange(64), np.arange(64)) * 2 % 256).astype(
        np.uint8).tobytes()
    ds.save_as(os.path.join(out, "sc8.dcm"), write_like_original=False)

    # A JPEG 2000 labelled object DCMTK cannot decode (no J2K codec in DCMTK 3.6.7): the
    # transcoder must say so, not pass it through.
    ds = base(ct, ROOT + ".5.1.1", ROOT + ".5", ROOT + ".5.1", "CT", "J2k^Only", "HO-U-5",
              None)
    ct_attrs(ds)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
    from pydicom.encaps import encapsulate
    ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + b"\0" * 60])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.save_as(os.path.join(out, "j2k.dcm"), write_like_original=False)

    with open(os.path.join(out, "bad.dcm"), "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + bytes(range(256)) * 4)


if __name__ == "__main__":
    main()
