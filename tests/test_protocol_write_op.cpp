#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>

#include <caf/message.hpp>

#include "entact/errc.hpp"
#include "entact/write_op.hpp"
#include "support/print.hpp"


using namespace entact;

BOOST_AUTO_TEST_SUITE(write_op_validation)

BOOST_AUTO_TEST_CASE(factories_fill_kind_and_version) {
  auto u = write_op::update("a", 7, "v");
  BOOST_TEST(u.kind == op_kind::update_if_version);
  BOOST_TEST(u.expected_version == 7u);
  BOOST_TEST(u.value == "v");
  auto c = write_op::create("a", "v");
  BOOST_TEST(c.kind == op_kind::create_if_absent);
  BOOST_TEST(c.expected_version == no_version);
  auto e = write_op::erase("a", 3);
  BOOST_TEST(e.kind == op_kind::erase_if_version);
  BOOST_TEST(e.value.empty());
  auto w = write_op::unconditional("a", "v");
  BOOST_TEST(w.kind == op_kind::write_unconditionally);
}

BOOST_AUTO_TEST_CASE(well_formed_ops_pass) {
  limits lim;
  BOOST_TEST(!validate(write_op::update("a", 1, "x"), lim));
  BOOST_TEST(!validate(write_op::create("a", ""), lim));
  BOOST_TEST(!validate(write_op::erase("a", 1), lim));
  BOOST_TEST(!validate(write_op::unconditional("a", "x"), lim));
}

BOOST_AUTO_TEST_CASE(value_at_limit_passes_one_more_byte_is_too_large) {
  limits lim;
  lim.max_value_bytes = 16;
  BOOST_TEST(!validate(write_op::update("a", 1, std::string(16, 'x')), lim));
  for (auto op : {write_op::update("a", 1, std::string(17, 'x')),
                  write_op::create("a", std::string(17, 'x')),
                  write_op::unconditional("a", std::string(17, 'x'))})
    BOOST_TEST(code_of(validate(op, lim)) == errc::too_large);
}

BOOST_AUTO_TEST_CASE(erase_with_value_is_invalid) {
  auto op = write_op::erase("a", 1);
  op.value = "surprise";
  BOOST_TEST(code_of(validate(op, limits{})) == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(create_or_unconditional_with_a_version_is_invalid) {
  auto create = write_op::create("a", "v");
  create.expected_version = 3;
  BOOST_TEST(code_of(validate(create, limits{})) == errc::invalid_argument);
  auto lww = write_op::unconditional("a", "v");
  lww.expected_version = 3;
  BOOST_TEST(code_of(validate(lww, limits{})) == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(bad_id_is_reported_first) {
  BOOST_TEST(code_of(validate(write_op::update("", 1, "x"), limits{}))
             == errc::invalid_argument);
  BOOST_TEST(code_of(validate(write_op::update("a b", 1, "x"), limits{}))
             == errc::invalid_argument);
  limits lim;
  lim.max_id_bytes = 2;
  BOOST_TEST(code_of(validate(write_op::update("abc", 1, "x"), lim))
             == errc::too_large);
}

BOOST_AUTO_TEST_CASE(unknown_kind_is_invalid) {
  auto op = write_op::update("a", 1, "x");
  op.kind = static_cast<op_kind>(42);
  BOOST_TEST(code_of(validate(op, limits{})) == errc::invalid_argument);
  BOOST_TEST(std::string{to_string(op.kind)} == "unknown");
}

BOOST_AUTO_TEST_CASE(kind_names_are_stable) {
  BOOST_TEST(std::string{to_string(op_kind::update_if_version)}
             == "update_if_version");
  BOOST_TEST(std::string{to_string(op_kind::create_if_absent)}
             == "create_if_absent");
  BOOST_TEST(std::string{to_string(op_kind::erase_if_version)}
             == "erase_if_version");
  BOOST_TEST(std::string{to_string(op_kind::write_unconditionally)}
             == "write_unconditionally");
}

BOOST_AUTO_TEST_SUITE_END()
