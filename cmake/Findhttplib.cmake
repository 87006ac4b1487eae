# Finds cpp-httplib as Debian bookworm ships it (libcpp-httplib-dev 0.11):
# a compiled library, libcpp-httplib.so, built with OpenSSL, zlib and
# brotli support. Its classes' layout depends on the CPPHTTPLIB_*_SUPPORT
# macros of that build, so every user must compile with the same ones: they
# come from its pkg-config file. Provides httplib::httplib (the name
# upstream's own CMake package uses) and httplib_FOUND / httplib_VERSION.
include(FindPackageHandleStandardArgs)

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(_httplib_pc QUIET IMPORTED_TARGET GLOBAL cpp-httplib)
endif()

set(httplib_VERSION "${_httplib_pc_VERSION}")
find_package_handle_standard_args(httplib
  REQUIRED_VARS _httplib_pc_FOUND
  VERSION_VAR httplib_VERSION)

if(httplib_FOUND AND NOT TARGET httplib::httplib)
  add_library(httplib::httplib INTERFACE IMPORTED GLOBAL)
  set_target_properties(httplib::httplib PROPERTIES
    INTERFACE_LINK_LIBRARIES PkgConfig::_httplib_pc)
endif()
