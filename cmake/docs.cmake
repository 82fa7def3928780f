# The API reference: Doxygen over include/tlspp/*.h (docs/Doxyfile). `ninja apidocs` writes
# it to <build>/apidocs/html; the ctest `docs` fails on any Doxygen warning, among them a
# public entity without a doc comment. Included from the root CMakeLists.txt.
find_program(TLSPP_DOXYGEN doxygen)
if(TLSPP_DOXYGEN)
  set(TLSPP_DOCS_COMMAND ${CMAKE_COMMAND} -DDOXYGEN=${TLSPP_DOXYGEN}
      -DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR} -DOUTPUT_DIR=${CMAKE_CURRENT_BINARY_DIR}/apidocs
      -DVERSION=${PROJECT_VERSION} -P ${CMAKE_CURRENT_LIST_DIR}/run_doxygen.cmake)
  add_custom_target(apidocs COMMAND ${TLSPP_DOCS_COMMAND}
                    COMMENT "API reference in ${CMAKE_CURRENT_BINARY_DIR}/apidocs/html" VERBATIM)
  if(TLSPP_TESTS)
    add_test(NAME docs COMMAND ${TLSPP_DOCS_COMMAND})
    set_tests_properties(docs PROPERTIES TIMEOUT 120 LABELS docs)
  endif()
endif()
