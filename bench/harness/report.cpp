#include "harness/report.hpp"

#include <iostream>

namespace bench {

std::string partitioned(const std::string& system, size_t n) {
  return n == 1 ? system : system + ", " + std::to_string(n) + " partitions";
}

void report::begin(const std::string& id, const std::string& title) {
  workloads.push_back({id, title});
  std::cout << "\n== " << id << " " << title << std::endl;
}

row& report::add(row x) {
  rows.push_back(std::move(x));
  return rows.back();
}

void report::verify(const std::string& name, bool ok,
                    const std::string& detail) {
  checks.push_back({name, ok, detail});
  std::cout << "  check " << (ok ? "ok     " : "FAILED ") << name << ": "
            << detail << std::endl;
}

void report::verify_no_errors(const std::string& name,
                              std::initializer_list<run_result> runs) {
  uint64_t errors = 0;
  std::string first;
  for (const auto& r : runs) {
    errors += r.errors;
    first += r.first_error;
  }
  verify(name, errors == 0, std::to_string(errors) + " errors " + first);
}

const row* report::primary(const std::string& w) const {
  for (const auto& x : rows)
    if (x.workload == w && x.primary)
      return &x;
  return nullptr;
}

const row* report::find(const std::string& w,
                        const std::string& system) const {
  for (const auto& x : rows)
    if (x.workload == w && x.system == system)
      return &x;
  return nullptr;
}

double report::metric(const std::string& w, const std::string& name) const {
  for (const auto& x : rows)
    if (x.workload == w && x.partitions == 1)
      for (const auto& [k, v] : x.metrics)
        if (k == name)
          return v;
  return 0;
}

} // namespace bench
