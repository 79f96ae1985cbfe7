# The viewer on the medium (core/viewer.c): copies the built viewer (viewer/ ->
# ${HO_VIEWER_DIST}) and writes the payload scripts.
add_library(ho_viewerinst STATIC ${CMAKE_CURRENT_LIST_DIR}/viewer.c)
target_link_libraries(ho_viewerinst PUBLIC ho_util)
if(NOT DEFINED HO_VIEWER_DIST)
	set(HO_VIEWER_DIST ${CMAKE_BINARY_DIR}/viewer-dist)
endif()
target_compile_definitions(ho_viewerinst PRIVATE HO_VIEWER_DIST="${HO_VIEWER_DIST}")
# ho_viewer is defined later (viewer/ comes after core/); CMake resolves it at generate time.
add_dependencies(ho_viewerinst ho_viewer)
target_link_libraries(ho_core INTERFACE ho_viewerinst)
