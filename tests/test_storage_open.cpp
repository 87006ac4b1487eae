#include <boost/test/unit_test.hpp>

#include <fstream>
#include <ostream>
#include <string>

#include <caf/message.hpp>
#include <rocksdb/utilities/optimistic_transaction_db.h>

#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "entact/storage/store.hpp"
#include "support/store_open.hpp"
#include "support/temp_dir.hpp"
#include "support/print.hpp"

using namespace entact;
using namespace entact::storage;
using entact::test::detail_of;
using entact::test::options_for;

BOOST_AUTO_TEST_SUITE(open)

BOOST_AUTO_TEST_CASE(fresh_store_records_its_format) {
  entact::test::temp_dir dir;
  auto s = store::open(options_for(dir.sub("db")));
  BOOST_REQUIRE(s);
  std::string stored;
  auto status = (*s)->raw_db()->Get(rocksdb::ReadOptions{}, format_key(),
                                    &stored);
  BOOST_REQUIRE(status.ok());
  BOOST_TEST(stored == std::string(1, static_cast<char>(format_version)));
  BOOST_TEST((*s)->options().path == dir.sub("db"));
}

BOOST_AUTO_TEST_CASE(reopen_keeps_the_format_and_works) {
  entact::test::temp_dir dir;
  {
    auto s = store::open(options_for(dir.sub("db")));
    BOOST_REQUIRE(s);
  }
  auto s = store::open(options_for(dir.sub("db")));
  BOOST_TEST(static_cast<bool>(s));
}

BOOST_AUTO_TEST_CASE(unknown_format_version_is_refused) {
  entact::test::temp_dir dir;
  {
    auto s = store::open(options_for(dir.sub("db")));
    BOOST_REQUIRE(s);
    auto status = (*s)->raw_db()->Put(rocksdb::WriteOptions{}, format_key(),
                                      std::string(1, '\x03'));
    BOOST_REQUIRE(status.ok());
  }
  auto s = store::open(options_for(dir.sub("db")));
  BOOST_REQUIRE(!s);
  BOOST_TEST(code_of(s.error()) == errc::invalid_argument);
  BOOST_TEST(detail_of(s.error()) == "unknown format version 3");
}

BOOST_AUTO_TEST_CASE(locked_directory_is_a_storage_failure) {
  entact::test::temp_dir dir;
  auto first = store::open(options_for(dir.sub("db")));
  BOOST_REQUIRE(first);
  auto second = store::open(options_for(dir.sub("db")));
  BOOST_REQUIRE(!second);
  BOOST_TEST(code_of(second.error()) == errc::storage_failure);
  BOOST_TEST(detail_of(second.error()).find("LOCK") != std::string::npos,
             detail_of(second.error()));
  // The first store is unharmed and the lock goes with it.
  BOOST_TEST(static_cast<bool>((*first)->commit({write_op::create("a", "v")})));
  first->reset();
  auto third = store::open(options_for(dir.sub("db")));
  BOOST_REQUIRE(third);
  BOOST_TEST((*third)->read("a")->value == "v");
}

BOOST_AUTO_TEST_CASE(path_that_is_a_file_is_a_storage_failure) {
  entact::test::temp_dir dir;
  std::ofstream{dir.sub("file")} << "not a database";
  auto s = store::open(options_for(dir.sub("file")));
  BOOST_REQUIRE(!s);
  BOOST_TEST(code_of(s.error()) == errc::storage_failure);
}

BOOST_AUTO_TEST_CASE(bad_options_are_invalid) {
  auto empty = store::open(store_options{});
  BOOST_REQUIRE(!empty);
  BOOST_TEST(code_of(empty.error()) == errc::invalid_argument);
  entact::test::temp_dir dir;
  auto opts = options_for(dir.sub("db"));
  opts.max_group_ops = 0;
  auto zero = store::open(opts);
  BOOST_REQUIRE(!zero);
  BOOST_TEST(code_of(zero.error()) == errc::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
