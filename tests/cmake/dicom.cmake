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

# Against the simulated PACS. Cases that listen on the kiosk's move port take its lock.
set(HO_DICOM_NET ${HO_PYTHON} ${HO_TEST_ROOT}/integration/dicom_net.py)
set(HO_DICOM_NET_ARGS --cli $<TARGET_FILE:dicom_cli> --data ${HO_HWSIM_DATA}
	--aet ${HO_KIOSK_AET} --aec ${HO_PACS_AET} --move-port ${HO_KIOSK_MOVE_PORT})
foreach(c find get move compressed stop misfiled wrong_called unknown_calling noget
		unknown_series move_foreign)
	add_test(NAME dicom_net_${c}
		COMMAND ${HO_DICOM_NET} ${c} ${HO_DICOM_NET_ARGS} --port ${HO_PACS_PORT})
	set_tests_properties(dicom_net_${c} PROPERTIES LABELS integration TIMEOUT 300
		FIXTURES_REQUIRED "hwsim_data;pacs" RESOURCE_LOCK kiosk_move_port)
endforeach()
# Staging full mid-series (private tmpfs mount; skipped when not root).
add_test(NAME dicom_net_diskfull
	COMMAND ${HO_DICOM_NET} diskfull ${HO_DICOM_NET_ARGS} --port ${HO_PACS_PORT})
set_tests_properties(dicom_net_diskfull PROPERTIES LABELS "integration;fault" TIMEOUT 300
	FIXTURES_REQUIRED "hwsim_data;pacs" RESOURCE_LOCK kiosk_move_port SKIP_RETURN_CODE 77)
# No PACS needed: a closed port, a listener that never answers, DCMTK's dcmqrscp.
foreach(c down silent charsets_qr)
	add_test(NAME dicom_net_${c} COMMAND ${HO_DICOM_NET} ${c} ${HO_DICOM_NET_ARGS} --port 9)
	set_tests_properties(dicom_net_${c} PROPERTIES LABELS integration TIMEOUT 60
		FIXTURES_REQUIRED hwsim_data)
endforeach()
# Same defaults as tests/cmake/hwsim.cmake, which is included after this file.
if(NOT DEFINED HO_PACS_TLS_DIR)
	set(HO_PACS_TLS_DIR ${CMAKE_BINARY_DIR}/pacs-tls)
endif()
if(NOT DEFINED HO_PACS_TLS_PORT)
	set(HO_PACS_TLS_PORT 4343)
endif()
add_test(NAME dicom_net_tls COMMAND ${HO_DICOM_NET} tls ${HO_DICOM_NET_ARGS}
	--port ${HO_PACS_TLS_PORT} --tls-dir ${HO_PACS_TLS_DIR})
set_tests_properties(dicom_net_tls PROPERTIES LABELS integration TIMEOUT 300
	FIXTURES_REQUIRED "hwsim_data;pacs_tls")
# The TCP_NODELAY figure of dicom/README.md (getscu with Nagle on/off vs the shim).
add_test(NAME dicom_net_nodelay
	COMMAND ${HO_DICOM_NET} nodelay ${HO_DICOM_NET_ARGS} --port ${HO_PACS_PORT})
set_tests_properties(dicom_net_nodelay PROPERTIES LABELS bench TIMEOUT 600
	FIXTURES_REQUIRED "hwsim_data;pacs" RESOURCE_LOCK kiosk_move_port)

# Fuzz: header parsing + character sets; corpus replay always, libFuzzer with -DHO_FUZZ=ON.
add_executable(dicom_fuzz_replay ${HO_TEST_ROOT}/fuzz/dicom_fuzz.cc
	${HO_TEST_ROOT}/fuzz/fuzz_replay.c)
target_link_libraries(dicom_fuzz_replay PRIVATE ho_dicom ho_util)
add_test(NAME dicom_fuzz_corpus
	COMMAND dicom_fuzz_replay ${HO_TEST_ROOT}/fuzz/corpus/dicom)
set_tests_properties(dicom_fuzz_corpus PROPERTIES LABELS unit)
if(HO_FUZZ)
	add_executable(dicom_fuzz ${HO_TEST_ROOT}/fuzz/dicom_fuzz.cc)
	target_compile_options(dicom_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_options(dicom_fuzz PRIVATE -fsanitize=fuzzer)
	target_link_libraries(dicom_fuzz PRIVATE ho_dicom ho_util)
endif()
# A private PACS with damaged stored objects (own ports 4447/8047/11117 and directory).
add_test(NAME dicom_net_corrupt COMMAND ${HO_DICOM_NET} corrupt ${HO_DICOM_NET_ARGS}
	--port 4447 --scratch ${CMAKE_BINARY_DIR}/dicom-corrupt)
set_tests_properties(dicom_net_corrupt PROPERTIES LABELS "integration;fault" TIMEOUT 300
	FIXTURES_REQUIRED hwsim_data)
