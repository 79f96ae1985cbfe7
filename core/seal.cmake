# core/seal: encrypted container (AES-256 ZIP), password, escrow, IHE_PDI pages.
add_library(ho_seal STATIC
	${CMAKE_CURRENT_LIST_DIR}/password.c
	${CMAKE_CURRENT_LIST_DIR}/seal.c
	${CMAKE_CURRENT_LIST_DIR}/escrow.c
	${CMAKE_CURRENT_LIST_DIR}/pdi_html.c)
target_link_libraries(ho_seal PUBLIC ho_util ho_dicom PkgConfig::ZIP PkgConfig::OPENSSL)
target_link_libraries(ho_core INTERFACE ho_seal)
if(HO_FUZZ)
	# coverage for libFuzzer inside the library, not only in the harness
	target_compile_options(ho_seal PRIVATE -fsanitize=fuzzer-no-link)
endif()
