// entact::result<T> (= caf::expected<T>) and its helpers: declare, then
// assign in a branch; the code of a result without touching its error.

#include <boost/test/unit_test.hpp>

#include <string>
#include <type_traits>

#include "entact/not_found.hpp"
#include "entact/record.hpp"
#include "entact/result.hpp"
#include "support/print.hpp"

using namespace entact;

namespace {

result<record> lookup(bool found) {
  if (found)
    return record{"a", 1, "v", false};
  return make_not_found_error(record{"a", 0, {}, false});
}

} // namespace

BOOST_AUTO_TEST_SUITE(result_helpers)

BOOST_AUTO_TEST_CASE(result_is_cafs_expected) {
  static_assert(std::is_same_v<result<record>, caf::expected<record>>);
  caf::expected<record> from_caf = lookup(true);
  result<record> back = from_caf;
  BOOST_TEST(back->value == "v");
}

BOOST_AUTO_TEST_CASE(declare_then_assign_in_a_branch) {
  for (bool found : {true, false}) {
    result<record> r = unassigned;
    BOOST_TEST(code_of(r) == errc::unassigned);
    if (found)
      r = lookup(true);
    else
      r = lookup(false);
    BOOST_TEST(code_of(r) == (found ? errc::none : errc::not_found));
  }
  // Reassigning an unassigned placeholder works for any T, and `return
  // unassigned` too.
  result<std::string> s = unassigned;
  s = std::string{"x"};
  BOOST_TEST(*s == "x");
  s = unassigned;
  BOOST_TEST(!s);
  auto never = []() -> result<int> { return unassigned; }();
  BOOST_TEST(code_of(never) == errc::unassigned);
  BOOST_TEST(to_string(errc::unassigned) == std::string{"unassigned"});
}

BOOST_AUTO_TEST_CASE(code_of_a_result) {
  BOOST_TEST(code_of(lookup(true)) == errc::none);
  BOOST_TEST(code_of(lookup(false)) == errc::not_found);
  // The overload for a bare error stays as it was.
  BOOST_TEST(code_of(make_error(errc::timeout)) == errc::timeout);
  BOOST_TEST(code_of(caf::error{}) == errc::none);
}

BOOST_AUTO_TEST_SUITE_END()
