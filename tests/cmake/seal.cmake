# Tests of core/seal, core/password, core/escrow, core/pdi_html and dicom/render.
#   ctest -R seal_            all of them
# The offline recovery tool lives in app/escrow; build it here if app/ does not.
if(NOT TARGET handoff-escrow-recover)
	add_subdirectory(${CMAKE_SOURCE_DIR}/app/escrow ${CMAKE_BINARY_DIR}/app/escrow)
endif()

foreach(t seal_password_test seal_escrow_test seal_zip_test)
	add_executable(${t} ${HO_TEST_ROOT}/unit/${t}.c)
	target_link_libraries(${t} PRIVATE ho_seal)
	add_test(NAME ${t} COMMAND ${t})
	set_tests_properties(${t} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()

add_executable(seal_tool ${HO_TEST_ROOT}/integration/seal_tool.c)
target_link_libraries(seal_tool PRIVATE ho_seal)

set(HO_SEAL_TEST_ENV
	"SEAL_TOOL=$<TARGET_FILE:seal_tool>"
	"SEAL_RECOVER=$<TARGET_FILE:handoff-escrow-recover>"
	"HO_PYTHON=${HO_PYTHON}"
	"SEAL_TESTS=${HO_TEST_ROOT}")

foreach(t seal_zip_extract seal_escrow_cli seal_pdi_html)
	add_test(NAME ${t} COMMAND bash ${HO_TEST_ROOT}/integration/${t}.sh
		WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
	set_tests_properties(${t} PROPERTIES LABELS integration TIMEOUT 300
		ENVIRONMENT "${HO_SEAL_TEST_ENV}")
endforeach()

add_test(NAME seal_bench COMMAND bash ${HO_TEST_ROOT}/bench/seal_bench.sh
	WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(seal_bench PROPERTIES LABELS "bench;slow" TIMEOUT 1800
	ENVIRONMENT "${HO_SEAL_TEST_ENV};HO_HWSIM_DATA=${HO_HWSIM_DATA}")

# Fuzz: escrow blob / typed password / Part 10 header sniffer; corpus replay always,
# libFuzzer with -DHO_FUZZ=ON.
add_executable(seal_escrow_fuzz_replay ${HO_TEST_ROOT}/fuzz/seal_escrow_fuzz.c
	${HO_TEST_ROOT}/fuzz/fuzz_replay.c)
target_link_libraries(seal_escrow_fuzz_replay PRIVATE ho_seal)
add_test(NAME seal_escrow_fuzz_corpus
	COMMAND seal_escrow_fuzz_replay ${HO_TEST_ROOT}/fuzz/corpus/seal_escrow)
set_tests_properties(seal_escrow_fuzz_corpus PROPERTIES LABELS unit)
if(HO_FUZZ)
	add_executable(seal_escrow_fuzz ${HO_TEST_ROOT}/fuzz/seal_escrow_fuzz.c)
	target_compile_options(seal_escrow_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_options(seal_escrow_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_libraries(seal_escrow_fuzz PRIVATE ho_seal)
endif()

# Each public header of this module compiles on its own (libgit2's header test).
set(HO_SEAL_HDR_SRC)
foreach(h core/password core/seal core/escrow core/pdi_html dicom/render)
	string(REPLACE "/" "_" n ${h})
	set(f ${CMAKE_CURRENT_BINARY_DIR}/seal_hdr_${n}.c)
	file(WRITE ${f} "#include \"${h}.h\"\n#include \"${h}.h\"\nint ho_hdr_${n};\n")
	list(APPEND HO_SEAL_HDR_SRC ${f})
endforeach()
add_library(seal_header_test OBJECT ${HO_SEAL_HDR_SRC})
