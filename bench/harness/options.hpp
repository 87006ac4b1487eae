#pragma once

#include "harness/config.hpp"

namespace bench {

/// Reads the command line through CAF's config system: `--clients=32`,
/// `--only=W1,W6`, flags as `--smoke` (or the same keys in an ini file
/// given with `--config-file=FILE`). Exits 0 after --help, 64 on bad usage.
config parse_options(int argc, char** argv);

} // namespace bench
