# Finds RocksDB (Debian's librocksdb-dev). Provides RocksDB::rocksdb.
include(FindPackageHandleStandardArgs)

find_path(RocksDB_INCLUDE_DIR rocksdb/db.h)
find_library(RocksDB_LIBRARY NAMES rocksdb)

if(RocksDB_INCLUDE_DIR AND EXISTS "${RocksDB_INCLUDE_DIR}/rocksdb/version.h")
  foreach(_part MAJOR MINOR PATCH)
    file(STRINGS "${RocksDB_INCLUDE_DIR}/rocksdb/version.h" _line
         REGEX "^#define ROCKSDB_${_part} [0-9]+")
    string(REGEX REPLACE ".* ([0-9]+).*" "\\1" _v_${_part} "${_line}")
  endforeach()
  set(RocksDB_VERSION "${_v_MAJOR}.${_v_MINOR}.${_v_PATCH}")
endif()

find_package_handle_standard_args(RocksDB
  REQUIRED_VARS RocksDB_INCLUDE_DIR RocksDB_LIBRARY
  VERSION_VAR RocksDB_VERSION)

if(RocksDB_FOUND AND NOT TARGET RocksDB::rocksdb)
  find_package(Threads REQUIRED)
  add_library(RocksDB::rocksdb UNKNOWN IMPORTED)
  set_target_properties(RocksDB::rocksdb PROPERTIES
    IMPORTED_LOCATION "${RocksDB_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${RocksDB_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()

mark_as_advanced(RocksDB_INCLUDE_DIR RocksDB_LIBRARY)
