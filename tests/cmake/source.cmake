# Checks on the source itself: banned functions and header comments (scripts/check-source.sh),
# and every public header compiling on its own (libgit2's header test).
add_test(NAME source_check COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-source.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(source_check PROPERTIES LABELS unit)

file(GLOB HO_PUBLIC_HEADERS CONFIGURE_DEPENDS
	${CMAKE_SOURCE_DIR}/util/*.h ${CMAKE_SOURCE_DIR}/core/*.h
	${CMAKE_SOURCE_DIR}/burn/*.h ${CMAKE_SOURCE_DIR}/dicom/*.h)
set(HO_HEADER_SRCS)
foreach(h IN LISTS HO_PUBLIC_HEADERS)
	file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${h})
	string(REPLACE "/" "_" stem ${rel})
	set(src ${CMAKE_BINARY_DIR}/header-check/${stem}.c)
	string(REPLACE "." "_" sym ${stem})
	file(WRITE ${src} "#include \"${rel}\"\n#include \"${rel}\" /* include guard */\nint ho_header_check_${sym};\n")
	list(APPEND HO_HEADER_SRCS ${src})
endforeach()
add_library(ho_header_check OBJECT EXCLUDE_FROM_ALL ${HO_HEADER_SRCS})
add_test(NAME headers_self_contained
	COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ho_header_check)
set_tests_properties(headers_self_contained PROPERTIES LABELS unit)
