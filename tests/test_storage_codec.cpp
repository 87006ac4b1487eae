#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>

#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "support/print.hpp"

using namespace entact;
using namespace entact::storage;

namespace {

errc code_of_result(const caf::expected<record>& x) {
  return x ? errc::none : code_of(x.error());
}

} // namespace

BOOST_AUTO_TEST_SUITE(record_codec)

BOOST_AUTO_TEST_CASE(keys_carry_their_prefix) {
  BOOST_TEST(entity_key("user:1") == "euser:1");
  BOOST_TEST(format_key() == "mformat");
  BOOST_TEST(entity_key("") == "e");
}

BOOST_AUTO_TEST_CASE(layout_is_format_flags_big_endian_version_value) {
  record r{"a", 0x0102030405060708ull, "xy", false};
  std::string expected{"\x01\x00\x01\x02\x03\x04\x05\x06\x07\x08xy", 12};
  BOOST_TEST(encode_record(r) == expected);
  record t{"a", 0x10, {}, true};
  std::string tomb{"\x01\x01\x00\x00\x00\x00\x00\x00\x00\x10", 10};
  BOOST_TEST(encode_record(t) == tomb);
}

BOOST_AUTO_TEST_CASE(records_round_trip) {
  for (auto r : {record{"a", 1, "hello", false},
                 record{"b", 7, {}, true},
                 record{"c", max_version, std::string{"\0\xff\x01", 3}, false},
                 record{"d", 300, std::string(100000, 'z'), false},
                 record{"e", 2, {}, false}}) {
    auto back = decode_record(r.id, encode_record(r));
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == r), "id " << r.id);
  }
}

BOOST_AUTO_TEST_CASE(decode_takes_the_id_from_the_key) {
  auto back = decode_record("other", encode_record(record{"a", 3, "v", false}));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->id == "other");
}

BOOST_AUTO_TEST_CASE(truncated_bytes_are_a_storage_failure) {
  auto bytes = encode_record(record{"a", 5, "v", false});
  for (size_t n = 0; n < 10; ++n)
    BOOST_TEST(code_of_result(decode_record("a", bytes.substr(0, n)))
                 == errc::storage_failure,
               "prefix of " << n << " bytes");
  BOOST_TEST(code_of_result(decode_record("a", bytes.substr(0, 10)))
             == errc::none);
}

BOOST_AUTO_TEST_CASE(unknown_format_byte_is_a_storage_failure) {
  auto bytes = encode_record(record{"a", 5, "v", false});
  for (char format : {'\x00', '\x02', '\xff'}) {
    bytes[0] = format;
    auto back = decode_record("a", bytes);
    BOOST_TEST(code_of_result(back) == errc::storage_failure);
  }
}

BOOST_AUTO_TEST_CASE(unknown_flags_are_a_storage_failure) {
  auto bytes = encode_record(record{"a", 5, "v", false});
  bytes[1] = '\x02';
  BOOST_TEST(code_of_result(decode_record("a", bytes)) == errc::storage_failure);
}

BOOST_AUTO_TEST_SUITE_END()
