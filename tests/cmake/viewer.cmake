# Viewer tests (label viewer): the C install/payload API, the payload format round trip,
# and the built viewer in headless Chromium over generated media.
add_executable(viewer_install_tool ${HO_TEST_ROOT}/viewer/viewer_install_tool.c)
target_link_libraries(viewer_install_tool PRIVATE ho_viewerinst)
add_dependencies(viewer_install_tool ho_viewer)
add_executable(viewer_unit_test ${HO_TEST_ROOT}/viewer/viewer_unit_test.c)
target_link_libraries(viewer_unit_test PRIVATE ho_viewerinst)

add_test(NAME viewer_unit COMMAND viewer_unit_test ${CMAKE_CURRENT_BINARY_DIR}/viewer-unit)
set_tests_properties(viewer_unit PROPERTIES LABELS "unit;viewer")

add_test(NAME viewer_js_unit COMMAND node --test ${HO_TEST_ROOT}/viewer/js_unit.test.mjs)
set_tests_properties(viewer_js_unit PROPERTIES LABELS "unit;viewer")

foreach(scn encrypted plain-codecs pick-zip pick-dir pick-files damaged)
	add_test(NAME viewer_browser_${scn}
		COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/viewer/viewer_test.py ${scn}
			--tool $<TARGET_FILE:viewer_install_tool> --dist ${HO_VIEWER_DIST}
			--viewer ${CMAKE_SOURCE_DIR}/viewer
			--work ${CMAKE_CURRENT_BINARY_DIR}/viewer-${scn})
	set_tests_properties(viewer_browser_${scn} PROPERTIES LABELS "viewer;integration"
		TIMEOUT 300)
endforeach()

add_test(NAME viewer_bench
	COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/bench/viewer_bench.py
		--tool $<TARGET_FILE:viewer_install_tool> --dist ${HO_VIEWER_DIST}
		--viewer ${CMAKE_SOURCE_DIR}/viewer --work ${CMAKE_CURRENT_BINARY_DIR}/viewer-bench)
set_tests_properties(viewer_bench PROPERTIES LABELS "bench;viewer;slow" TIMEOUT 1200)

# The viewer over a STUDY.ZIP sealed by the kiosk's own core/seal (libzip AE-2, deflate),
# when that module's test tool is in the build (tests/cmake/seal.cmake sorts first).
if(TARGET seal_tool)
	add_test(NAME viewer_browser_kiosk-zip
		COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/viewer/viewer_test.py kiosk-zip
			--tool $<TARGET_FILE:viewer_install_tool> --dist ${HO_VIEWER_DIST}
			--viewer ${CMAKE_SOURCE_DIR}/viewer --seal-tool $<TARGET_FILE:seal_tool>
			--work ${CMAKE_CURRENT_BINARY_DIR}/viewer-kiosk-zip)
	set_tests_properties(viewer_browser_kiosk-zip PROPERTIES LABELS "viewer;integration"
		TIMEOUT 300)
endif()

# The same in Firefox (Debian firefox-esr) when it is installed; skipped otherwise.
foreach(scn encrypted plain-codecs pick-zip)
	add_test(NAME viewer_firefox_${scn}
		COMMAND ${HO_PYTHON} ${HO_TEST_ROOT}/viewer/viewer_test.py ${scn} --browser firefox
			--tool $<TARGET_FILE:viewer_install_tool> --dist ${HO_VIEWER_DIST}
			--viewer ${CMAKE_SOURCE_DIR}/viewer
			--work ${CMAKE_CURRENT_BINARY_DIR}/viewer-ff-${scn})
	set_tests_properties(viewer_firefox_${scn} PROPERTIES LABELS "viewer;integration"
		TIMEOUT 300 SKIP_RETURN_CODE 77)
endforeach()
