// Uses entact through the installed package only (find_package(entact)).
// Returns non-zero if anything behaves unexpectedly.
#include <cstdio>
#include <string>

#include <entact/decide.hpp>
#include <entact/entity_id.hpp>
#include <entact/errc.hpp>
#include <entact/record.hpp>
#include <entact/write_op.hpp>

// The rest of the public API must at least compile from the installed
// headers.
#include <entact/engine.hpp>
#include <entact/resolve.hpp>

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

  if (failures != 0)
    return 1;
  std::puts("consumer: OK");
  return 0;
}
