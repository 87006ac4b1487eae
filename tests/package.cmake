# package_consumer: installs this build tree into a scratch prefix, then
# configures, builds and runs tests/package/consumer against it with
# find_package(entact). Catches broken install()/export rules, missing
# headers and find modules, and build-tree paths leaking into the package.
# It needs the whole project built first (ctest runs after the build).
add_test(NAME package_consumer
  COMMAND "${CMAKE_COMMAND}"
    "-DENTACT_BUILD_DIR=${PROJECT_BINARY_DIR}"
    "-DENTACT_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "-DCONSUMER_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/package/consumer"
    "-DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/package_consumer"
    "-DCONFIG=$<CONFIG>"
    "-DGENERATOR=${CMAKE_GENERATOR}"
    "-DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
    "-DCXX_COMPILER=${CMAKE_CXX_COMPILER}"
    "-DSANITIZE=${ENTACT_SANITIZE}"
    -P "${CMAKE_CURRENT_SOURCE_DIR}/package/run_consumer.cmake")
set_tests_properties(package_consumer PROPERTIES
  TIMEOUT 300
  LABELS package)
