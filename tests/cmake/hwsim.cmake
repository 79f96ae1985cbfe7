# The simulated PACS (hw-sim) and the fixtures every integration test shares.
#   FIXTURES_REQUIRED hwsim_data   synthetic patients in ${HO_HWSIM_DATA} (patients.json)
#   FIXTURES_REQUIRED pacs         Orthanc, plain DICOM on ${HO_PACS_PORT}, HTTP ${HO_PACS_HTTP_PORT}
#   FIXTURES_REQUIRED pacs_tls     Orthanc, DICOM TLS on ${HO_PACS_TLS_PORT}, certificates in
#                                  ${HO_PACS_TLS_DIR}/tls/{ca,client}.pem, client.key
#   FIXTURES_REQUIRED hwsim_big    adds the ~1 GB CT HO-0099 to ${HO_HWSIM_DATA} (bench only)
# Both PACS call the kiosk HANDOFF at 127.0.0.1:${HO_KIOSK_MOVE_PORT} for C-MOVE: a test that
# listens on that port must hold RESOURCE_LOCK kiosk_move_port (hwsim_tsyntax does).
# See hw-sim/README.md for the patients, AETs and credentials.
if(NOT DEFINED HO_PACS_TLS_DIR)
	set(HO_PACS_TLS_DIR ${CMAKE_BINARY_DIR}/pacs-tls)
endif()
if(NOT DEFINED HO_PACS_TLS_PORT)
	set(HO_PACS_TLS_PORT 4343)
endif()
if(NOT DEFINED HO_PACS_TLS_HTTP_PORT)
	set(HO_PACS_TLS_HTTP_PORT 8043)
endif()
set(HO_HWSIM_ROOT ${HO_TEST_ROOT}/../hw-sim)
set(HO_PACS_SH ${HO_HWSIM_ROOT}/pacs/pacs.sh)
set(HO_HWSIM_CHECK ${HO_PYTHON} ${HO_TEST_ROOT}/integration/hwsim_check.py)

add_test(NAME hwsim_generate
	COMMAND ${HO_PYTHON} ${HO_HWSIM_ROOT}/gen/generate.py --out ${HO_HWSIM_DATA})
set_tests_properties(hwsim_generate PROPERTIES FIXTURES_SETUP hwsim_data
	LABELS integration TIMEOUT 300)

add_test(NAME hwsim_generate_big
	COMMAND ${HO_PYTHON} ${HO_HWSIM_ROOT}/gen/generate.py --out ${HO_HWSIM_DATA} --big)
set_tests_properties(hwsim_generate_big PROPERTIES FIXTURES_SETUP hwsim_big
	FIXTURES_REQUIRED hwsim_data RESOURCE_LOCK hwsim_data_dir LABELS "bench;slow" TIMEOUT 900)

add_test(NAME pacs_start
	COMMAND ${HO_PACS_SH} start --dir ${HO_PACS_DIR} --data ${HO_HWSIM_DATA}
		--dicom-port ${HO_PACS_PORT} --http-port ${HO_PACS_HTTP_PORT}
		--move-port ${HO_KIOSK_MOVE_PORT})
set_tests_properties(pacs_start PROPERTIES FIXTURES_SETUP pacs FIXTURES_REQUIRED hwsim_data
	LABELS integration TIMEOUT 300)
add_test(NAME pacs_stop COMMAND ${HO_PACS_SH} stop --dir ${HO_PACS_DIR})
set_tests_properties(pacs_stop PROPERTIES FIXTURES_CLEANUP pacs LABELS integration)

add_test(NAME pacs_tls_start
	COMMAND ${HO_PACS_SH} start --tls --dir ${HO_PACS_TLS_DIR} --data ${HO_HWSIM_DATA}
		--dicom-port ${HO_PACS_TLS_PORT} --http-port ${HO_PACS_TLS_HTTP_PORT}
		--move-port ${HO_KIOSK_MOVE_PORT})
set_tests_properties(pacs_tls_start PROPERTIES FIXTURES_SETUP pacs_tls
	FIXTURES_REQUIRED hwsim_data LABELS integration TIMEOUT 300)
add_test(NAME pacs_tls_stop COMMAND ${HO_PACS_SH} stop --dir ${HO_PACS_TLS_DIR})
set_tests_properties(pacs_tls_stop PROPERTIES FIXTURES_CLEANUP pacs_tls LABELS integration)

# Checks that the simulator is what the other tests believe it is.
foreach(t names misfiled noget)
	add_test(NAME hwsim_${t}
		COMMAND ${HO_HWSIM_CHECK} ${t} --data ${HO_HWSIM_DATA} --port ${HO_PACS_PORT})
	set_tests_properties(hwsim_${t} PROPERTIES FIXTURES_REQUIRED "hwsim_data;pacs"
		LABELS integration TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
add_test(NAME hwsim_tsyntax COMMAND ${HO_HWSIM_CHECK} tsyntax --data ${HO_HWSIM_DATA}
	--port ${HO_PACS_PORT} --pacs-dir ${HO_PACS_DIR} --move-port ${HO_KIOSK_MOVE_PORT})
set_tests_properties(hwsim_tsyntax PROPERTIES FIXTURES_REQUIRED "hwsim_data;pacs"
	RESOURCE_LOCK kiosk_move_port LABELS integration TIMEOUT 120)
add_test(NAME hwsim_tls COMMAND ${HO_HWSIM_CHECK} tls --data ${HO_HWSIM_DATA}
	--port ${HO_PACS_TLS_PORT} --pacs-dir ${HO_PACS_TLS_DIR})
set_tests_properties(hwsim_tls PROPERTIES FIXTURES_REQUIRED "hwsim_data;pacs_tls"
	LABELS integration TIMEOUT 120)
add_test(NAME hwsim_markers COMMAND ${HO_HWSIM_CHECK} markers --data ${HO_HWSIM_DATA})
set_tests_properties(hwsim_markers PROPERTIES FIXTURES_REQUIRED hwsim_data
	LABELS integration TIMEOUT 120)
add_test(NAME hwsim_generator_deterministic COMMAND ${HO_HWSIM_CHECK} generator
	--data ${HO_HWSIM_DATA} --scratch ${CMAKE_BINARY_DIR}/hwsim-data-again)
set_tests_properties(hwsim_generator_deterministic PROPERTIES FIXTURES_REQUIRED hwsim_data
	RESOURCE_LOCK hwsim_data_dir LABELS integration TIMEOUT 300)
# A private PACS (own ports and directory) so that corrupting it cannot disturb other tests.
add_test(NAME hwsim_corrupt COMMAND ${HO_HWSIM_CHECK} corrupt --data ${HO_HWSIM_DATA}
	--pacs-dir ${CMAKE_BINARY_DIR}/pacs-corrupt --port 4444 --http-port 8044
	--move-port 11114)
set_tests_properties(hwsim_corrupt PROPERTIES FIXTURES_REQUIRED hwsim_data
	LABELS "integration;fault" TIMEOUT 300)
add_test(NAME hwsim_netns_refusal COMMAND ${HO_HWSIM_CHECK} refusal --data ${HO_HWSIM_DATA}
	--pacs-dir ${CMAKE_BINARY_DIR}/pacs-refused)
set_tests_properties(hwsim_netns_refusal PROPERTIES FIXTURES_REQUIRED hwsim_data
	LABELS "integration;fault" TIMEOUT 120 SKIP_RETURN_CODE 77)
