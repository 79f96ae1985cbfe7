# The job pipeline, configuration and PACS access (core/job.c, config.c, pacs.c,
# media_text.c). Other core modules add their own libraries in core/<module>.cmake and
# link them into ho_core.
add_library(ho_job STATIC job.c config.c pacs.c media_text.c)
target_link_libraries(ho_job PUBLIC ho_util ho_dicom ho_burn ho_ledger ho_seal ho_viewerinst
	PRIVATE PkgConfig::OPENSSL)
target_link_libraries(ho_core INTERFACE ho_job)
