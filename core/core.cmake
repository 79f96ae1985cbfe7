# The interface library that pulls every core module together.
target_link_libraries(ho_core INTERFACE ho_util ho_dicom ho_burn)
