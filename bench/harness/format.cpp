#include "harness/format.hpp"

#include <cstdio>
#include <iostream>

namespace bench {

std::string fmt(double x, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", prec, x);
  return buf;
}

std::string fmt_rate(double x) {
  return fmt(x, x < 100 ? 1 : 0);
}

std::string fmt_ms(double us) {
  return fmt(us / 1000.0, us < 10000 ? 2 : 1);
}

std::string fmt_bytes(double b) {
  if (b >= 1024.0 * 1024 * 1024)
    return fmt(b / (1024.0 * 1024 * 1024), 2) + " GiB";
  if (b >= 1024.0 * 1024)
    return fmt(b / (1024.0 * 1024), 1) + " MiB";
  if (b >= 1024)
    return fmt(b / 1024.0, 2) + " KiB";
  return fmt(b, 0) + " B";
}

void print_run(const std::string& label, const run_result& r) {
  std::cout << "  " << label << ": " << fmt_rate(r.ops_per_s()) << "/s, p50 "
            << fmt_ms(r.lat.p50) << " ms, p99 " << fmt_ms(r.lat.p99)
            << " ms, conflicts " << r.conflicts << ", errors " << r.errors;
  if (!r.first_error.empty())
    std::cout << " (first: " << r.first_error << ")";
  std::cout << std::endl;
}

} // namespace bench
