#!/usr/bin/python3
"""Makes a small PDI-like file-set for the seal tests (no hw-sim needed).

Usage: seal_mkdata.py ROOT
Writes ROOT/DICOM/P0000001/S0000001/SE00000{1,2}/I000000n (Explicit VR Little Endian, as
STD-GEN-CD requires), prints the relative paths, one per line. The patient name is not
ASCII (ISO_IR 192) and the study description holds XML specials, so that the pages'
escaping and character handling are exercised. Series 1: three CT slices with a VOI
window; series 2: one CR without a window (min-max path) and wider than tall.
"""
import os
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

ROOT = "1.2.826.0.1.3680043.9.7433"  # test-only root; UIDs below are fixed


def make(path, modality, sop_class, series_no, inst_no, pixels, window=None):
	meta = FileMetaDataset()
	meta.MediaStorageSOPClassUID = sop_class
	meta.MediaStorageSOPInstanceUID = f"{ROOT}.3.{series_no}.{inst_no}"
	meta.TransferSyntaxUID = ExplicitVRLittleEndian
	meta.ImplementationClassUID = f"{ROOT}.9"
	ds = Dataset()
	ds.file_meta = meta
	ds.SpecificCharacterSet = "ISO_IR 192"
	ds.SOPClassUID = sop_class
	ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
	ds.PatientName = "Müller^Zoë=山田^太郎"
	ds.PatientID = "SEAL-0001"
	ds.PatientBirthDate = "19800101"
	ds.PatientSex = "F"
	ds.StudyInstanceUID = f"{ROOT}.1"
	ds.StudyDate = "20260102"
	ds.StudyTime = "101500"
	ds.StudyID = "1"
	ds.AccessionNumber = "A1"
	ds.ReferringPhysicianName = ""
	ds.StudyDescription = 'Knee & <Hip> "test"'
	ds.SeriesInstanceUID = f"{ROOT}.2.{series_no}"
	ds.SeriesNumber = series_no
	ds.SeriesDescription = "Axial" if modality == "CT" else "Knie ä"
	ds.Modality = modality
	ds.InstanceNumber = inst_no
	ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"] if modality == "CT" else ["ORIGINAL", "PRIMARY"]
	ds.Rows, ds.Columns = pixels.shape
	ds.SamplesPerPixel = 1
	ds.PhotometricInterpretation = "MONOCHROME2"
	ds.BitsAllocated = 16
	ds.BitsStored = 16 if pixels.dtype == np.int16 else 12
	ds.HighBit = ds.BitsStored - 1
	ds.PixelRepresentation = 1 if pixels.dtype == np.int16 else 0
	if modality == "CT":
		ds.RescaleIntercept = 0
		ds.RescaleSlope = 1
		ds.KVP = 120
		ds.SliceThickness = 1
		ds.ImagePositionPatient = [0, 0, inst_no]
		ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
		ds.PixelSpacing = [0.5, 0.5]
		ds.FrameOfReferenceUID = f"{ROOT}.4"
		ds.PositionReferenceIndicator = ""
		ds.AcquisitionNumber = 1
	if window:
		ds.WindowCenter, ds.WindowWidth = window
	ds.PixelData = pixels.tobytes()
	ds.is_little_endian = True
	ds.is_implicit_VR = False
	os.makedirs(os.path.dirname(path), exist_ok=True)
	ds.save_as(path, write_like_original=False)


def main():
	root = sys.argv[1]
	rng = np.random.default_rng(7)
	rels = []
	yy, xx = np.mgrid[0:256, 0:256]
	for i in range(1, 4):
		img = np.full((256, 256), -1000, np.int16)
		disk = (yy - 128) ** 2 + (xx - 128) ** 2 < (60 + 10 * i) ** 2
		img[disk] = 40
		img += rng.integers(-20, 20, img.shape, dtype=np.int16)
		rel = f"DICOM/P0000001/S0000001/SE000001/I000000{i}"
		make(os.path.join(root, rel), "CT", "1.2.840.10008.5.1.4.1.1.2", 1, i, img, (40, 400))
		rels.append(rel)
	cr = (rng.integers(0, 4095, (200, 320))).astype(np.uint16)
	cr[50:150, 100:220] = 4000
	rel = "DICOM/P0000001/S0000001/SE000002/I0000001"
	make(os.path.join(root, rel), "CR", "1.2.840.10008.5.1.4.1.1.1", 2, 1, cr)
	rels.append(rel)
	print("\n".join(rels))


if __name__ == "__main__":
	main()
