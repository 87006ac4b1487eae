#include "support/local_example.hpp"

#include <cstdio>

#include "support/problem_log.hpp"

namespace example {

void storage_options::add_to(caf::config_option_adder& add) {
  add.add(path, "path",
          "database directory, kept [a temporary one, removed at exit]")
    .add(sync, "sync", "sync the WAL before acknowledging a write "
                       "[the engine's default: on]")
    .add(no_sync, "no-sync", "acknowledge before the WAL reaches the disk");
}

std::unique_ptr<entact::engine>
open_engine(const storage_options& opts, std::unique_ptr<entact::config> cfg,
            const std::string& tag, std::optional<temp_dir>& tmp) {
  entact::engine_options eopts;
  eopts.sync = opts.synced();
  eopts.path = opts.path.empty() ? tmp.emplace(tag).path() : opts.path;
  if (eopts.path.empty()) {
    std::fprintf(stderr, "cannot create a temporary directory\n");
    return nullptr;
  }
  auto eng = entact::engine::open(eopts, std::move(cfg));
  if (!eng) {
    std::fprintf(stderr, "cannot open %s: %s\n", eopts.path.c_str(),
                 describe(eng.error()).c_str());
    return nullptr;
  }
  return std::move(*eng);
}

} // namespace example
