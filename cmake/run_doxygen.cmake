# Runs Doxygen with docs/Doxyfile into OUTPUT_DIR and fails when it warns at all (the
# warnings are also left in OUTPUT_DIR/warnings.log).
# cmake -DDOXYGEN=... -DSOURCE_DIR=... -DOUTPUT_DIR=... -DVERSION=... -P run_doxygen.cmake
file(MAKE_DIRECTORY ${OUTPUT_DIR})
file(READ ${SOURCE_DIR}/docs/Doxyfile doxyfile)
# Paths in the Doxyfile are relative to the source tree; the output goes to the build tree.
string(APPEND doxyfile "\nOUTPUT_DIRECTORY = \"${OUTPUT_DIR}\"\nPROJECT_NUMBER = ${VERSION}\n"
                       "WARN_LOGFILE = \"${OUTPUT_DIR}/warnings.log\"\n")
file(WRITE ${OUTPUT_DIR}/Doxyfile "${doxyfile}")
file(REMOVE ${OUTPUT_DIR}/warnings.log)
execute_process(COMMAND ${DOXYGEN} ${OUTPUT_DIR}/Doxyfile WORKING_DIRECTORY ${SOURCE_DIR}
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
set(warnings "")
if(EXISTS ${OUTPUT_DIR}/warnings.log)
  file(READ ${OUTPUT_DIR}/warnings.log warnings)
endif()
string(STRIP "${warnings}${err}" problems)
if(NOT rc EQUAL 0 OR NOT problems STREQUAL "")
  message(FATAL_ERROR "doxygen failed (exit ${rc}) or warned:\n${problems}")
endif()
message(STATUS "API reference: ${OUTPUT_DIR}/html/index.html")
