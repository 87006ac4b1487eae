# Writes a C++ source defining entact::http::console_page() as the bytes
# of a file, so the browser console ships inside the binary and the page
# stays a real HTML file in the repo (no hand-written escaping).
#   cmake -DINPUT=index.html -DOUTPUT=console_page.cpp -P embed_page.cmake
# Rewrites OUTPUT only when its text changes (no needless recompiles).
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "embed_page.cmake: pass -DINPUT=<file> -DOUTPUT=<file>")
endif()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_digits)
math(EXPR size "${hex_digits} / 2")
# Two hex digits per byte -> "0x3c,"; 16 bytes to a line.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# (CMake's regular expressions have no {n}: repeat the byte's pattern.)
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line_of_bytes)
string(REGEX REPLACE "(${line_of_bytes})" "\\1\n  " bytes "${bytes}")
get_filename_component(input_name "${INPUT}" NAME)
set(text "// Generated from ${input_name} by embed_page.cmake: do not edit.
#include \"console_page.hpp\"

namespace entact::http {

namespace {

// A trailing 0 keeps the array non-empty for an empty file.
const unsigned char page_bytes[] = {
  ${bytes}0};

} // namespace

std::string_view console_page() noexcept {
  return {reinterpret_cast<const char*>(page_bytes), ${size}};
}

} // namespace entact::http
")
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
