#pragma once

#include <cstddef>
#include <string>

#include <caf/expected.hpp>

namespace entact {

/// Longest bearer token a token file may hold.
constexpr size_t max_http_token_bytes = 4096;

/// The bearer token in the file at `path` (`--http-token-file`): its bytes
/// without trailing whitespace. Like ssh with a private key, the file must
/// be a regular file that neither group nor others may read, write or run
/// (mode 0600 or 0400).
///
/// Errors: `invalid_argument` (naming the path and what is wrong) if the
/// file cannot be opened, is not a regular file, has group or other
/// permission bits, is empty, is longer than `max_http_token_bytes`, or
/// holds a byte other than visible ASCII (a header cannot carry it).
caf::expected<std::string> read_http_token_file(const std::string& path);

} // namespace entact
