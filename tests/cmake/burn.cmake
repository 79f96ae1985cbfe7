# burn/: manifest, ISO mastering + libburn writing, read-back verification, USB (mtools).
# Judged where possible by tools we did not write: xorriso, isoinfo, mdir, fsck.fat.

add_executable(burn_tool ${HO_TEST_ROOT}/integration/burn_tool.c)
target_link_libraries(burn_tool PRIVATE ho_burn)
