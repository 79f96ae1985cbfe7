# burn/: manifest, ISO mastering + libburn writing, read-back verification, USB (mtools).
# Judged where possible by tools we did not write: xorriso, isoinfo, mdir, fsck.fat.

add_executable(burn_tool ${HO_TEST_ROOT}/integration/burn_tool.c)
target_link_libraries(burn_tool PRIVATE ho_burn)

# Unit: manifest golden text (tests/unit/burn_manifest_golden.txt, computed with hashlib),
# round trip, changed byte => different digest, non-canonical texts refused.
add_executable(burn_manifest_test ${HO_TEST_ROOT}/unit/burn_manifest_test.c)
target_link_libraries(burn_manifest_test PRIVATE ho_burn PkgConfig::OPENSSL)
add_test(NAME burn_manifest_unit
	COMMAND burn_manifest_test ${HO_TEST_ROOT}/unit/burn_manifest_golden.txt)
set_tests_properties(burn_manifest_unit PROPERTIES LABELS unit)
# Negative golden: a golden file that is off by one byte must make the test fail.
add_test(NAME burn_manifest_unit_bad_golden
	COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/unit/burn_negative_golden.py
	$<TARGET_FILE:burn_manifest_test> ${HO_TEST_ROOT}/unit/burn_manifest_golden.txt)
set_tests_properties(burn_manifest_unit_bad_golden PROPERTIES LABELS unit)

# Fuzz: manifest parser; corpus replay always, libFuzzer with -DHO_FUZZ=ON.
add_executable(burn_manifest_fuzz_replay ${HO_TEST_ROOT}/fuzz/burn_manifest_fuzz.c
	${HO_TEST_ROOT}/fuzz/fuzz_replay.c)
target_link_libraries(burn_manifest_fuzz_replay PRIVATE ho_burn)
add_test(NAME burn_manifest_fuzz_corpus
	COMMAND burn_manifest_fuzz_replay ${HO_TEST_ROOT}/fuzz/corpus/burn_manifest)
set_tests_properties(burn_manifest_fuzz_corpus PROPERTIES LABELS unit)
if(HO_FUZZ)
	add_executable(burn_manifest_fuzz ${HO_TEST_ROOT}/fuzz/burn_manifest_fuzz.c)
	target_compile_options(burn_manifest_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_options(burn_manifest_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_libraries(burn_manifest_fuzz PRIVATE ho_burn)
endif()

# Integration: burn_tool writes, xorriso/isoinfo/mtools/fsck.fat judge.
set(HO_BURN_ENV BURN_TOOL=$<TARGET_FILE:burn_tool> HO_WORK=${CMAKE_BINARY_DIR}/work/burn)
foreach(c optical sim usb)
	add_test(NAME burn_${c} COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/integration/burn_test.py ${c})
	set_tests_properties(burn_${c} PROPERTIES LABELS integration ENVIRONMENT "${HO_BURN_ENV}"
		TIMEOUT 300)
endforeach()

# Fault: each simulated drive fault, unusable addresses and sticks => clear error, no leftover.
foreach(c tray_open no_disc too_small write_error read_error bad_address usb)
	add_test(NAME burn_fault_${c}
		COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/fault/burn_fault_test.py ${c})
	set_tests_properties(burn_fault_${c} PROPERTIES LABELS fault ENVIRONMENT "${HO_BURN_ENV}"
		TIMEOUT 300)
endforeach()

# Bench (ctest -L bench only): ours vs an xorriso + sha256sum script on a ~200 MB tree, and
# the simulated CD 52x drive against the time the medium alone needs.
add_test(NAME burn_bench COMMAND ${HO_TEST_ROOT}/bench/burn_bench.sh $<TARGET_FILE:burn_tool>
	${CMAKE_BINARY_DIR}/work/burn-bench 200 3)
set_tests_properties(burn_bench PROPERTIES LABELS bench TIMEOUT 1800)

# Fuzz: drive address parser (configuration input).
add_executable(burn_addr_fuzz_replay ${HO_TEST_ROOT}/fuzz/burn_addr_fuzz.c
	${HO_TEST_ROOT}/fuzz/fuzz_replay.c)
target_link_libraries(burn_addr_fuzz_replay PRIVATE ho_burn)
add_test(NAME burn_addr_fuzz_corpus
	COMMAND burn_addr_fuzz_replay ${HO_TEST_ROOT}/fuzz/corpus/burn_addr)
set_tests_properties(burn_addr_fuzz_corpus PROPERTIES LABELS unit)
if(HO_FUZZ)
	add_executable(burn_addr_fuzz ${HO_TEST_ROOT}/fuzz/burn_addr_fuzz.c)
	target_compile_options(burn_addr_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_options(burn_addr_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_libraries(burn_addr_fuzz PRIVATE ho_burn)
endif()

# Each public burn/ header compiles on its own (libgit2's header test).
set(HO_BURN_HDR_SRC)
foreach(h burn manifest usb sim)
	set(f ${CMAKE_CURRENT_BINARY_DIR}/burn_hdr_${h}.c)
	file(WRITE ${f} "#include \"burn/${h}.h\"\n#include \"burn/${h}.h\"\nint ho_hdr_${h};\n")
	list(APPEND HO_BURN_HDR_SRC ${f})
endforeach()
add_library(burn_header_test OBJECT ${HO_BURN_HDR_SRC})

# Several threads writing and verifying at once (init once, drive operations serialised).
add_executable(burn_thread_test ${HO_TEST_ROOT}/integration/burn_thread_test.c)
target_link_libraries(burn_thread_test PRIVATE ho_burn Threads::Threads)
add_test(NAME burn_threads COMMAND burn_thread_test ${CMAKE_BINARY_DIR}/work/burn-threads)
set_tests_properties(burn_threads PROPERTIES LABELS integration TIMEOUT 300)
