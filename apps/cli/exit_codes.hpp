#pragma once

// The `entact` CLI's exit codes: stable, documented in --help and README.md.

namespace entact::cli {

constexpr int exit_ok = 0;
constexpr int exit_conflict = 1;
constexpr int exit_not_found = 2;
constexpr int exit_unreachable = 3;
constexpr int exit_server_error = 4;
constexpr int exit_usage = 64; // EX_USAGE of sysexits.h

} // namespace entact::cli
