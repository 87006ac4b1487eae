#pragma once

// How figures are written, in the progress lines and the tables alike.

#include <string>

#include "harness/util.hpp"

namespace bench {

/// `x` with `prec` decimals.
std::string fmt(double x, int prec = 0);

/// A rate: one decimal below 100, none above.
std::string fmt_rate(double x);

/// Microseconds as milliseconds, with fewer decimals past 10 ms.
std::string fmt_ms(double us);

/// Bytes in B, KiB, MiB or GiB.
std::string fmt_bytes(double b);

/// One progress line: a run's rate, latencies, conflicts and errors.
void print_run(const std::string& label, const run_result& r);

} // namespace bench
