// Uses entact through the installed package only (find_package(entact)).
// Returns non-zero if anything behaves unexpectedly.
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <entact/decide.hpp>
#include <entact/entity_id.hpp>
#include <entact/errc.hpp>
#include <entact/record.hpp>
#include <entact/write_op.hpp>

#include <entact/engine.hpp>
#include <entact/resolve.hpp>
#include <entact/serve_http.hpp>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: FAILED: %s\n", what);
    ++failures;
  }
}

} // namespace

int main() {
  check(!entact::validate_id("user/42"), "a valid id is accepted");
  check(entact::code_of(entact::validate_id("no spaces"))
          == entact::errc::invalid_argument,
        "an id with a space is refused");

  // A's update based on version 3 wins...
  entact::record stored{"user/42", 3, "Gadget", false};
  auto a = entact::decide(stored,
                          entact::write_op::update("user/42", 3,
                                                   "Super Gadget"));
  check(static_cast<bool>(a), "an update at the current version applies");
  if (a) {
    check(a->version == 4, "the update bumps the version");
    check(a->value == "Super Gadget", "the update stores the value");
    // ...and B's update, based on the same version 3, is refused.
    auto b = entact::decide(*a, entact::write_op::update("user/42", 3,
                                                         "Amazing Gadget"));
    check(!b && entact::code_of(b.error()) == entact::errc::conflict,
          "a stale update is a conflict");
  }

  check(entact::http_status_of(entact::errc::conflict) == 412,
        "the HTTP gateway maps a conflict to 412");

  // An embedded engine opened through the installed package.
  auto dir = std::filesystem::temp_directory_path()
             / ("entact-consumer-db-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    entact::engine_options opts;
    opts.path = dir.string();
    auto eng = entact::engine::open(opts);
    check(static_cast<bool>(eng), "the engine opens");
    if (eng) {
      auto& db = **eng;
      auto v1 = db.create("user/42", "Gadget");
      check(v1 && v1->version == 1, "create gives version 1");
      auto stale = db.update("user/42", 0, "Amazing Gadget");
      check(!stale && entact::conflict_of(stale.error()).has_value(),
            "a stale update through the engine carries a conflict");
    }
  }
  std::filesystem::remove_all(dir);

  if (failures != 0)
    return 1;
  std::puts("consumer: OK");
  return 0;
}
