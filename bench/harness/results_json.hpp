#pragma once

#include <string>

#include "harness/config.hpp"
#include "harness/machine.hpp"
#include "harness/report.hpp"

namespace bench {

/// Everything the table shows, and the settings it ran with, as one JSON
/// object (bench/results/latest.json).
std::string to_json(const config& cfg, const report& rep,
                    const machine_info& m);

/// Writes to_json to `path`, making its parent directories.
void write_json(const std::string& path, const config& cfg,
                const report& rep, const machine_info& m);

} // namespace bench
