#include "support/problem_log.hpp"

#include <cstdio>

#include <entact/errc.hpp>

namespace example {

std::string describe(const caf::error& err) {
  if (err.category() == entact::error_category)
    return entact::render_error(err.code(), err.category(), err.context());
  return caf::to_string(err);
}

void problem_log::add(const std::string& what) {
  if (count_++ < 5) {
    std::lock_guard<std::mutex> guard{mtx_};
    std::fprintf(stderr, "\nPROBLEM: %s\n", what.c_str());
  }
}

void problem_log::add(const std::string& call, const caf::error& err) {
  add(call + " failed: " + describe(err));
}

int verdict(bool ok, const problem_log& problems, const std::string& ok_text,
            const std::string& suffix) {
  if (problems.count() > 0) {
    std::printf("FAILED: %llu unexpected problems (see stderr)\n",
                static_cast<unsigned long long>(problems.count()));
    ok = false;
  }
  std::printf("%s%s\n", ok ? ok_text.c_str() : "FAILED", suffix.c_str());
  return ok ? 0 : 1;
}

} // namespace example
