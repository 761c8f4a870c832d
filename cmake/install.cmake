# The installable package: the CLI, the libraries as attncheck:: targets, the public headers under include/attncheck/.
include(CMakePackageConfigHelpers)

# Each library under its namespaced name, for add_subdirectory/FetchContent consumers too.
set(ATTNCHECK_EXPORTED ref fixtures compare stack_parse kernels sim)
foreach(lib ${ATTNCHECK_EXPORTED})
  set_target_properties(attncheck_${lib} PROPERTIES EXPORT_NAME ${lib})
  add_library(attncheck::${lib} ALIAS attncheck_${lib})
endforeach()
add_executable(attncheck::attncheck ALIAS attncheck)

# <attncheck/ref/golden.hpp> in the build tree: include/attncheck is the source tree itself. The
# headers include each other as "ref/...", which the second directory resolves.
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/include)
if(NOT EXISTS ${PROJECT_BINARY_DIR}/include/attncheck)
  file(CREATE_LINK ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/include/attncheck SYMBOLIC)
endif()
foreach(lib ref stack_parse)
  target_include_directories(attncheck_${lib} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/attncheck>)
endforeach()

set(ATTNCHECK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/attncheck)
install(TARGETS attncheck RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set(_targets "")
foreach(lib ${ATTNCHECK_EXPORTED})
  list(APPEND _targets attncheck_${lib})
endforeach()
install(TARGETS ${_targets} EXPORT attncheckTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT attncheckTargets NAMESPACE attncheck:: DESTINATION ${ATTNCHECK_CMAKE_DIR})
foreach(dir ref fixtures compare kernels sim)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/attncheck/${dir}
    FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h" PATTERN "*.inc"
    PATTERN "tests" EXCLUDE PATTERN "fuzz" EXCLUDE PATTERN "testing" EXCLUDE)
endforeach()
# The built-in kernel packages and their schemas, for `attncheck kernels` and package authors.
install(FILES ${PROJECT_SOURCE_DIR}/docs/kernel.schema.json ${PROJECT_SOURCE_DIR}/docs/report.schema.json
  DESTINATION ${CMAKE_INSTALL_DATADIR}/attncheck)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/attncheckConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/attncheckConfig.cmake INSTALL_DESTINATION ${ATTNCHECK_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/attncheckConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/attncheckConfig.cmake ${PROJECT_BINARY_DIR}/cmake/attncheckConfigVersion.cmake
  DESTINATION ${ATTNCHECK_CMAKE_DIR})

# pkg-config: static libraries, so their own dependencies come along in Libs. The prefix is found
# from the .pc file's own place, so `cmake --install --prefix P` works wherever P is.
file(RELATIVE_PATH _pc_up /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
set(ATTNCHECK_PC_PREFIX "\${pcfiledir}/${_pc_up}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/attncheck.pc.in ${PROJECT_BINARY_DIR}/attncheck.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/attncheck.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
