#include "support/command_line.hpp"

#include <cstdio>

#include <caf/pec.hpp>

namespace example {

int usage_error(const char* prog, const std::string& what) {
  std::fprintf(stderr, "%s: %s (see --help)\n", prog, what.c_str());
  return bad_usage;
}

std::optional<int> parse_config(caf::actor_system_config& cfg,
                                const char* prog, int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (auto err = cfg.parse(argc, argv)) {
    auto what = to_string(err);
    if (err == caf::pec::missing_argument)
      what += "; an option takes its value after '=', as in --users=16";
    return usage_error(prog, what);
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (!cfg.remainder.empty())
    return usage_error(prog, "unexpected argument " + cfg.remainder.front());
  return std::nullopt;
}

} // namespace example
