#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>

#include <caf/message.hpp>

#include "entact/entity_id.hpp"
#include "entact/errc.hpp"
#include "entact/write_op.hpp"
#include "support/print.hpp"


using namespace entact;

BOOST_AUTO_TEST_SUITE(entity_id_validation)

BOOST_AUTO_TEST_CASE(empty_id_is_invalid) {
  BOOST_TEST(code_of(validate_id("")) == errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(longest_id_passes_one_more_byte_is_too_large) {
  limits lim;
  BOOST_TEST(!validate_id(std::string(lim.max_id_bytes, 'a'), lim));
  BOOST_TEST(code_of(validate_id(std::string(lim.max_id_bytes + 1, 'a'), lim))
             == errc::too_large);
}

BOOST_AUTO_TEST_CASE(custom_limit_is_honoured) {
  limits lim;
  lim.max_id_bytes = 3;
  BOOST_TEST(!validate_id("abc", lim));
  BOOST_TEST(code_of(validate_id("abcd", lim)) == errc::too_large);
}

BOOST_AUTO_TEST_CASE(every_allowed_character_passes) {
  BOOST_TEST(!validate_id("azAZ09-_.:/@+=#~"));
  BOOST_TEST(!validate_id("a"));
  BOOST_TEST(!validate_id("~"));
  BOOST_TEST(!validate_id("user:42/cart@eu-1"));
}

BOOST_AUTO_TEST_CASE(neighbours_of_the_ranges) {
  // '/' and ':' surround the digits, '@' precedes 'A': all three are in the
  // punctuation set. '[' follows 'Z', '`' precedes 'a', '{' follows 'z'.
  BOOST_TEST(is_id_char('/'));
  BOOST_TEST(is_id_char(':'));
  BOOST_TEST(is_id_char('@'));
  BOOST_TEST(!is_id_char('['));
  BOOST_TEST(!is_id_char('`'));
  BOOST_TEST(!is_id_char('{'));
}

BOOST_AUTO_TEST_CASE(separators_and_quotes_fail) {
  for (char c : std::string{" \t\n\"'\\,;!?$%&*()<>|^`{}[]"})
    BOOST_TEST(code_of(validate_id(std::string{"ok"} + c))
                 == errc::invalid_argument,
               "character code " << int(c));
}

BOOST_AUTO_TEST_CASE(nul_and_non_ascii_bytes_fail) {
  BOOST_TEST(!is_id_char('\0'));
  BOOST_TEST(code_of(validate_id(std::string{"a\0b", 3})) == errc::invalid_argument);
  BOOST_TEST(code_of(validate_id("caf\xC3\xA9")) == errc::invalid_argument);
  BOOST_TEST(!is_id_char(static_cast<char>(0x7F)));
  BOOST_TEST(!is_id_char(static_cast<char>(0xFF)));
}

BOOST_AUTO_TEST_CASE(error_detail_names_the_offset) {
  auto err = validate_id("abc def");
  BOOST_REQUIRE(err);
  BOOST_TEST(err.context().match_element<std::string>(0));
  BOOST_TEST(err.context().get_as<std::string>(0).find("offset 3")
             != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
