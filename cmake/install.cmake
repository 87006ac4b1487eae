# install() rules and the exported package (find_package(entact)).
#
# Installs the layer libraries, the umbrella INTERFACE target and the
# public headers, and exports them as entact::protocol, entact::storage,
# entact::actors, entact::network, entact::http and entact::entact. A consumer writes
#
#   find_package(entact REQUIRED)
#   target_link_libraries(app PRIVATE entact::entact)
#
# entact_build_flags (warnings, -Werror, sanitizers) is linked by the layers
# only as $<BUILD_INTERFACE:entact_build_flags>, so it never reaches the
# export set and never leaks into consumers: do not export it.
#
# tests/package.cmake installs the build tree into a scratch prefix and
# builds tests/package/consumer against it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ENTACT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/entact"
    CACHE STRING "Where entactConfig.cmake is installed, relative to the prefix")
mark_as_advanced(ENTACT_INSTALL_CMAKEDIR)

# Exported names: entact::protocol, not entact::entact_protocol. These match
# the ALIAS targets the layers define, so the same names work in-tree and
# for consumers of the installed package.
set_target_properties(entact_protocol PROPERTIES EXPORT_NAME protocol)
set_target_properties(entact_storage PROPERTIES EXPORT_NAME storage)
set_target_properties(entact_actors PROPERTIES EXPORT_NAME actors)
set_target_properties(entact_network PROPERTIES EXPORT_NAME network)
set_target_properties(entact_http PROPERTIES EXPORT_NAME http)
set_target_properties(entact PROPERTIES EXPORT_NAME entact)

install(TARGETS entact_protocol entact_storage entact_actors entact_network
               entact_http entact
  EXPORT entactTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# Public headers: every layer keeps them under <layer>/include/entact/...
foreach(_entact_layer IN ITEMS protocol storage actors network http)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/${_entact_layer}/include/"
    DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
    FILES_MATCHING
      PATTERN "*.hpp"
      PATTERN "*.h")
endforeach()
unset(_entact_layer)

# Programs, once apps/ defines them (the CLI target cannot be called
# `entact`: that name is the umbrella library; give it OUTPUT_NAME entact).
foreach(_entact_program IN ITEMS entactd entact_cli)
  if(TARGET ${_entact_program})
    install(TARGETS ${_entact_program}
      RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
  endif()
endforeach()
unset(_entact_program)

install(EXPORT entactTargets
  NAMESPACE entact::
  FILE entactTargets.cmake
  DESTINATION "${ENTACT_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/entactConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/entactConfig.cmake"
  INSTALL_DESTINATION "${ENTACT_INSTALL_CMAKEDIR}")

write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/entactConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)

# The config finds CAF and RocksDB with the project's own find modules
# (Debian's CAF ships no CMake package), so they travel with it.
install(FILES
    "${PROJECT_BINARY_DIR}/entactConfig.cmake"
    "${PROJECT_BINARY_DIR}/entactConfigVersion.cmake"
    "${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake"
    "${PROJECT_SOURCE_DIR}/cmake/FindRocksDB.cmake"
    "${PROJECT_SOURCE_DIR}/cmake/Findhttplib.cmake"
  DESTINATION "${ENTACT_INSTALL_CMAKEDIR}")
