# Run by the package_consumer test (see tests/package.cmake) as
#   cmake -DENTACT_BUILD_DIR=... -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=... \
#         [-DENTACT_SOURCE_DIR=...] [-DCONFIG=...] [-DGENERATOR=...] \
#         [-DMAKE_PROGRAM=...] [-DCXX_COMPILER=...] [-DSANITIZE=...] \
#         -P run_consumer.cmake
# Every step must succeed, or the script fails with the step's output.
cmake_minimum_required(VERSION 3.16)

foreach(var IN ITEMS ENTACT_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "run_consumer.cmake: ${var} is not set")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
set(consumer_build "${WORK_DIR}/consumer-build")

# Runs one step; stops everything with its output if it fails.
function(step name)
  message(STATUS "package_consumer: ${name}")
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE out)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR
      "package_consumer: step '${name}' failed (${rc}):\n"
      "  command: ${ARGN}\n${out}")
  endif()
  message("${out}")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# 1. Install the build tree into the scratch prefix.
set(config_args)
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
step("install into ${prefix}"
  "${CMAKE_COMMAND}" --install "${ENTACT_BUILD_DIR}" --prefix "${prefix}"
  ${config_args})

# 2. The installed package must not point back into the source or build
#    tree (a missing $<BUILD_INTERFACE:...> would make it work here only).
file(GLOB_RECURSE package_files "${prefix}/*.cmake")
if(NOT package_files)
  message(FATAL_ERROR "package_consumer: no *.cmake files installed")
endif()
foreach(file IN LISTS package_files)
  file(READ "${file}" text)
  foreach(tree IN ITEMS "${ENTACT_BUILD_DIR}" "${ENTACT_SOURCE_DIR}")
    if(tree)
      string(FIND "${text}" "${tree}/" pos)
      if(NOT pos EQUAL -1)
        message(FATAL_ERROR
          "package_consumer: ${file} refers to ${tree}")
      endif()
    endif()
  endforeach()
endforeach()

# 3. Configure and build the consumer against the installed package only:
#    it finds entact through CMAKE_PREFIX_PATH, and must get this prefix's
#    copy, never a system-wide install (the consumer prints entact_DIR).
file(GLOB_RECURSE config_file "${prefix}/*/entactConfig.cmake")
if(NOT config_file)
  message(FATAL_ERROR "package_consumer: entactConfig.cmake not installed")
endif()
set(configure_args
  -S "${CONSUMER_SOURCE_DIR}" -B "${consumer_build}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DENTACT_EXPECTED_PREFIX=${prefix}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(GENERATOR)
  list(APPEND configure_args -G "${GENERATOR}")
endif()
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(CONFIG)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
endif()
if(SANITIZE)
  # entact's static libraries were built with sanitizers: the consumer must
  # link their runtimes.
  list(APPEND configure_args
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()
step("configure consumer" "${CMAKE_COMMAND}" ${configure_args})
step("build consumer"
  "${CMAKE_COMMAND}" --build "${consumer_build}" ${config_args})

# 4. Run it.
set(candidates
  "${consumer_build}/consumer"
  "${consumer_build}/${CONFIG}/consumer")
set(exe)
foreach(candidate IN LISTS candidates)
  if(EXISTS "${candidate}" AND NOT IS_DIRECTORY "${candidate}")
    set(exe "${candidate}")
    break()
  endif()
endforeach()
if(NOT exe)
  message(FATAL_ERROR "package_consumer: consumer binary not found in ${consumer_build}")
endif()
step("run consumer" "${exe}")

message(STATUS "package_consumer: OK")
