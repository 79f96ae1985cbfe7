# Tests of dicom/ (the DCMTK shim).            ctest -R dicom_
#   dicom_unit          file info, UTF-8 names, transcoding, profiles, DICOMDIR (+ dcmmkdir -w,
#                       dciodvfy re-check)
#   dicom_fuzz_corpus   replays tests/fuzz/corpus/dicom through the fuzz target's entry point
#   dicom_net_*         find/retrieve against the simulated PACS (fixtures pacs, pacs_tls)
add_executable(dicom_unit ${HO_TEST_ROOT}/unit/dicom_unit.c)
target_link_libraries(dicom_unit PRIVATE ho_dicom ho_util)
add_test(NAME dicom_unit COMMAND bash ${HO_TEST_ROOT}/unit/dicom_unit.sh $<TARGET_FILE:dicom_unit>)
set_tests_properties(dicom_unit PROPERTIES LABELS unit TIMEOUT 120
	ENVIRONMENT "HO_PYTHON=${HO_PYTHON}")

add_executable(dicom_cli ${HO_TEST_ROOT}/integration/dicom_cli.c)
target_link_libraries(dicom_cli PRIVATE ho_dicom ho_util)
