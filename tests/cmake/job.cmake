# core/config, core/job and the `handoff` command.

add_executable(config_test ${HO_TEST_ROOT}/unit/config_test.c)
target_link_libraries(config_test PRIVATE ho_job)
add_test(NAME config_unit COMMAND config_test)
set_tests_properties(config_unit PROPERTIES LABELS unit)

# Fuzz target: libFuzzer with -DHO_FUZZ=ON (clang), and always a corpus replay under ctest.
add_executable(config_fuzz_replay ${HO_TEST_ROOT}/fuzz/config_fuzz.c ${HO_TEST_ROOT}/fuzz/fuzz_replay.c)
target_link_libraries(config_fuzz_replay PRIVATE ho_job)
add_test(NAME config_fuzz_corpus COMMAND config_fuzz_replay ${HO_TEST_ROOT}/fuzz/corpus/config)
set_tests_properties(config_fuzz_corpus PROPERTIES LABELS unit)
if(HO_FUZZ)
	add_executable(config_fuzz ${HO_TEST_ROOT}/fuzz/config_fuzz.c)
	target_compile_options(config_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_options(config_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_libraries(config_fuzz PRIVATE ho_job)
endif()

# End-to-end export against Orthanc + libburn stdio: drive, judged by outside tools.
set(HO_EXPORT_ENV
	HO_CLI=$<TARGET_FILE:handoff>
	HO_HWSIM_DATA=${HO_HWSIM_DATA}
	HO_PACS_PORT=${HO_PACS_PORT}
	HO_PACS_DIR=${HO_PACS_DIR}
	HO_PACS_SH=${CMAKE_SOURCE_DIR}/hw-sim/pacs/pacs.sh
	HO_VIEWER_DIR=${CMAKE_SOURCE_DIR}/viewer
	HO_VIEWER_DIST=${HO_VIEWER_DIST}
	HO_MOVE_PORT=${HO_KIOSK_MOVE_PORT}
	HO_PACS_TLS_DIR=${HO_PACS_TLS_DIR}
	HO_PACS_TLS_PORT=${HO_PACS_TLS_PORT}
	HO_WORK=${CMAKE_BINARY_DIR}/work/export)
foreach(t Find Export Encrypted Viewer Retrieve Atna Refuse)
	add_test(NAME export_${t} COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/integration/export_test.py ${t})
	set_tests_properties(export_${t} PROPERTIES LABELS integration FIXTURES_REQUIRED pacs
		ENVIRONMENT "${HO_EXPORT_ENV}" TIMEOUT 1200)
endforeach()
set_tests_properties(export_Viewer PROPERTIES LABELS "integration;viewer")
set_tests_properties(export_Retrieve PROPERTIES FIXTURES_REQUIRED "pacs;pacs_tls"
	RESOURCE_LOCK kiosk_move_port)
set_tests_properties(export_Encrypted PROPERTIES LABELS "integration;viewer")
# The corrupt-object case damages the PACS's copy of HO-0006: run it after the rest.
set_tests_properties(export_Refuse PROPERTIES
	DEPENDS "export_Find;export_Export;export_Encrypted;export_Viewer;export_Atna;export_Retrieve")

# Benchmark (label bench: run on purpose with `ctest -L bench`; prints ratios).
add_test(NAME export_bench COMMAND ${HO_TEST_ROOT}/bench/export_bench.sh)
set_tests_properties(export_bench PROPERTIES LABELS bench FIXTURES_REQUIRED pacs TIMEOUT 3600
	ENVIRONMENT "HO_CLI=$<TARGET_FILE:handoff>;HO_HWSIM_DATA=${HO_HWSIM_DATA};HO_PACS_PORT=${HO_PACS_PORT};HO_WORK=${CMAKE_BINARY_DIR}/work/export-bench")
