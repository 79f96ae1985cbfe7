# Tests of the signed handoff log (core/ledger*, audit, note, merkle, crc32c, atna).
set(HO_LEDGER_SCRATCH ${CMAKE_BINARY_DIR}/ledger-scratch)
add_executable(ledger_unit ${HO_TEST_ROOT}/unit/ledger_unit.c)
target_link_libraries(ledger_unit PRIVATE ho_ledger)
foreach(t crc merkle note roundtrip bitflip kept torn rotate rotate_crash audit)
	add_test(NAME ledger_${t} COMMAND ledger_unit ${t} ${HO_LEDGER_SCRATCH}/${t})
	set_tests_properties(ledger_${t} PROPERTIES LABELS unit)
endforeach()
add_test(NAME ledger_audit_schema COMMAND sh ${HO_TEST_ROOT}/unit/ledger_audit_schema.sh
	$<TARGET_FILE:ledger_unit> ${HO_TEST_ROOT}/unit/ledger_audit.rng ${HO_LEDGER_SCRATCH}/schema)
set_tests_properties(ledger_audit_schema PROPERTIES LABELS unit)
# The standalone verifier lives in app/verify (its own CMakeLists.txt); build it here too
# until app/CMakeLists.txt adds it.
if(NOT TARGET handoff-verify)
	add_subdirectory(${CMAKE_SOURCE_DIR}/app/verify ${CMAKE_BINARY_DIR}/app/verify)
endif()
# A driver for `handoff log ...` that does not depend on the CLI's main().
add_executable(ledger_cli ${HO_TEST_ROOT}/unit/ledger_cli_main.c ${CMAKE_SOURCE_DIR}/app/cli/cmd_log.c
	${CMAKE_SOURCE_DIR}/app/cli/exit_code.c)
target_link_libraries(ledger_cli PRIVATE ho_ledger)
add_executable(ledger_gen ${HO_TEST_ROOT}/bench/ledger_gen.c)
target_link_libraries(ledger_gen PRIVATE ho_ledger)
add_executable(ledger_fault ${HO_TEST_ROOT}/fault/ledger_fault.c)
target_link_libraries(ledger_fault PRIVATE ho_ledger)
add_test(NAME ledger_fault_powerloss COMMAND ledger_fault powerloss ${HO_LEDGER_SCRATCH}/powerloss 1000)
set_tests_properties(ledger_fault_powerloss PROPERTIES LABELS fault TIMEOUT 300)
add_test(NAME ledger_fault_diskfull COMMAND ledger_fault diskfull ${HO_LEDGER_SCRATCH}/diskfull)
set_tests_properties(ledger_fault_diskfull PROPERTIES LABELS fault)
# Fuzz: segment/frame/envelope/note/vkey parsers; corpus replay always, libFuzzer with
# -DHO_FUZZ=ON (clang).
add_executable(ledger_fuzz_replay ${HO_TEST_ROOT}/fuzz/ledger_fuzz.c ${HO_TEST_ROOT}/fuzz/fuzz_replay.c)
target_link_libraries(ledger_fuzz_replay PRIVATE ho_ledger)
add_test(NAME ledger_fuzz_corpus COMMAND ledger_fuzz_replay ${HO_TEST_ROOT}/fuzz/corpus/ledger)
set_tests_properties(ledger_fuzz_corpus PROPERTIES LABELS unit)
if(HO_FUZZ)
	add_executable(ledger_fuzz ${HO_TEST_ROOT}/fuzz/ledger_fuzz.c)
	target_compile_options(ledger_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_options(ledger_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_libraries(ledger_fuzz PRIVATE ho_ledger)
endif()
# Benchmarks (label bench): append latency with fsync; verification of 1,000,000 entries.
add_executable(ledger_bench ${HO_TEST_ROOT}/bench/ledger_bench.c)
target_link_libraries(ledger_bench PRIVATE ho_ledger)
add_test(NAME ledger_bench_append COMMAND ledger_bench append ${CMAKE_BINARY_DIR}/bench/ledger-append 2000)
set_tests_properties(ledger_bench_append PROPERTIES LABELS bench TIMEOUT 600)
add_test(NAME ledger_bench_verify COMMAND ledger_bench verify ${CMAKE_BINARY_DIR}/bench/ledger-verify 1000000)
set_tests_properties(ledger_bench_verify PROPERTIES LABELS bench TIMEOUT 1200)
add_test(NAME ledger_crossverify COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/unit/ledger_crossverify.py
	$<TARGET_FILE:ledger_gen> $<TARGET_FILE:ledger_cli> $<TARGET_FILE:handoff-verify>
	${HO_LEDGER_SCRATCH}/crossverify)
set_tests_properties(ledger_crossverify PROPERTIES LABELS unit)
# ATNA forwarding to a real rsyslog with TLS on 127.0.0.1 (integration).
add_executable(ledger_atna ${HO_TEST_ROOT}/integration/ledger_atna.c)
target_link_libraries(ledger_atna PRIVATE ho_ledger)
add_test(NAME ledger_atna_rsyslog COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/integration/ledger_atna_test.py
	$<TARGET_FILE:ledger_atna> ${HO_LEDGER_SCRATCH}/atna)
set_tests_properties(ledger_atna_rsyslog PROPERTIES LABELS integration TIMEOUT 120)
add_test(NAME ledger_cli COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/unit/ledger_cli_test.py
	$<TARGET_FILE:ledger_gen> $<TARGET_FILE:ledger_cli> $<TARGET_FILE:handoff-verify>
	${CMAKE_SOURCE_DIR} ${HO_LEDGER_SCRATCH}/cli)
set_tests_properties(ledger_cli PROPERTIES LABELS unit TIMEOUT 120)
# Each public header of the log compiles on its own (libgit2's header test).
add_test(NAME ledger_headers COMMAND sh -c "for h in core/ledger.h core/ledger_verify.h core/ledger_export.h core/merkle.h core/note.h core/signer.h core/audit.h core/atna.h core/crc32c.h app/cli/cmd_log.h; do echo \"#include \\\"$h\\\"\" | ${CMAKE_C_COMPILER} -std=c17 -Wall -Wextra -Werror -D_GNU_SOURCE -I. -x c -fsyntax-only - || exit 1; done"
	WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(ledger_headers PROPERTIES LABELS unit)
