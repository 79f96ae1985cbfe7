# The signed handoff log (core/ledger*, merkle, note, signer, audit, atna, crc32c).
file(GLOB HO_LEDGER_SRC CONFIGURE_DEPENDS
	${CMAKE_CURRENT_SOURCE_DIR}/ledger*.c
	${CMAKE_CURRENT_SOURCE_DIR}/merkle.c
	${CMAKE_CURRENT_SOURCE_DIR}/note.c
	${CMAKE_CURRENT_SOURCE_DIR}/signer.c
	${CMAKE_CURRENT_SOURCE_DIR}/audit.c
	${CMAKE_CURRENT_SOURCE_DIR}/atna.c
	${CMAKE_CURRENT_SOURCE_DIR}/crc32c.c)
add_library(ho_ledger STATIC ${HO_LEDGER_SRC})
target_link_libraries(ho_ledger PUBLIC ho_util PkgConfig::OPENSSL)
target_link_libraries(ho_core INTERFACE ho_ledger)
# Where `handoff log export` finds the docs, the verifier source and the static verifier.
target_compile_definitions(ho_ledger PRIVATE
	HO_LEDGER_SOURCE_ROOT="${CMAKE_SOURCE_DIR}"
	HO_LEDGER_VERIFIER_BIN="${CMAKE_BINARY_DIR}/app/verify/handoff-verify")
