# `cmake --install`: the public headers, the static library, the shared one when built
# (TLSPP_SHARED, with its soname symlinks), a CMake package (find_package(tlspp)) and a
# pkg-config file (tlspp.pc). Included from the root CMakeLists.txt.
include(CMakePackageConfigHelpers)

set(TLSPP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/tlspp)

install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/tlspp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

set(TLSPP_INSTALL_TARGETS tlspp)
if(TARGET tlspp_shared)
  list(APPEND TLSPP_INSTALL_TARGETS tlspp_shared)
endif()
install(TARGETS ${TLSPP_INSTALL_TARGETS} EXPORT tlsppTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# tlspp::tlspp_static, and tlspp::tlspp_shared when it was built; tlsppConfig.cmake makes
# tlspp::tlspp point at the shared one when it is there, at the static one otherwise.
install(EXPORT tlsppTargets NAMESPACE tlspp:: DESTINATION ${TLSPP_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/tlsppConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/tlsppConfig.cmake
                              INSTALL_DESTINATION ${TLSPP_INSTALL_CMAKEDIR})
# 0.x: no compatibility promised between minor versions.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tlsppConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tlsppConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/tlsppConfigVersion.cmake
        DESTINATION ${TLSPP_INSTALL_CMAKEDIR})

# pkg-config. The public headers include no OpenSSL header, so a program linked against the
# shared library needs nothing of libcrypto (Requires.private: only `pkg-config --static`
# adds it); when only the static library is installed, every link needs -lcrypto (Requires).
if(TARGET tlspp_shared)
  set(TLSPP_PC_REQUIRES "Requires.private: libcrypto >= 3.0")
else()
  set(TLSPP_PC_REQUIRES "Requires: libcrypto >= 3.0")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(TLSPP_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(TLSPP_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(TLSPP_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(TLSPP_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
set(TLSPP_PC_PREFIX "@TLSPP_PC_PREFIX@")  # filled in at install time, below
configure_file(${CMAKE_CURRENT_LIST_DIR}/tlspp.pc.in ${CMAKE_CURRENT_BINARY_DIR}/tlspp.pc.in @ONLY)
# The prefix is the one given at install time (cmake --install --prefix), not at configure.
install(CODE "
  file(READ \"${CMAKE_CURRENT_BINARY_DIR}/tlspp.pc.in\" tlspp_pc)
  string(REPLACE \"@TLSPP_PC_PREFIX@\" \"\${CMAKE_INSTALL_PREFIX}\" tlspp_pc \"\${tlspp_pc}\")
  file(WRITE \"${CMAKE_CURRENT_BINARY_DIR}/tlspp.pc\" \"\${tlspp_pc}\")
")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tlspp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
