// A store opens only a directory that is an entact store, empty, or
// missing: anything else is refused with a clear message and left exactly
// as it was. A store whose creation was interrupted is recognised.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <caf/message.hpp>
#include <rocksdb/db.h>
#include <rocksdb/utilities/optimistic_transaction_db.h>

#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "entact/storage/store.hpp"
#include "entact/storage/store_dir.hpp"
#include "support/print.hpp"
#include "support/store_files.hpp"
#include "support/store_open.hpp"
#include "support/temp_dir.hpp"

using namespace entact;
using namespace entact::storage;
using entact::test::detail_of;
using entact::test::options_for;
using entact::test::why;

namespace {

/// Opens `path`, expects a refusal as "not an entact store" that names the
/// path and changes no file in it.
void expect_refused_untouched(const std::string& path) {
  auto before = entact::test::snapshot_files(path);
  auto s = store::open(options_for(path));
  BOOST_REQUIRE_MESSAGE(!s, path << " was opened as a store");
  auto detail = detail_of(s.error());
  BOOST_TEST(code_of(s.error()) == errc::invalid_argument);
  BOOST_TEST(detail.find(path) != std::string::npos, detail);
  BOOST_TEST(detail.find("not an entact store") != std::string::npos, detail);
  BOOST_TEST((entact::test::snapshot_files(path) == before));
}

void expect_a_working_store(const std::string& path) {
  auto s = store::open(options_for(path));
  BOOST_REQUIRE_MESSAGE(s, why(s));
  BOOST_REQUIRE((*s)->commit({write_op::unconditional("a", "v")}));
  std::string stored;
  BOOST_TEST((*s)->raw_db()->Get({}, format_key(), &stored).ok());
}

} // namespace

BOOST_AUTO_TEST_SUITE(foreign_dir)

// Reported in issue 9: another program's RocksDB opened without complaint
// and got entact's format key written into it.
BOOST_AUTO_TEST_CASE(another_programs_rocksdb_is_refused_untouched) {
  entact::test::temp_dir dir;
  auto path = dir.sub("other");
  {
    auto db = entact::test::open_raw(path, true);
    BOOST_REQUIRE(db->Put({}, "foo", "bar").ok());
    BOOST_REQUIRE(db->Put({}, "ebanana", "yellow").ok());
  }
  expect_refused_untouched(path);
  auto db = entact::test::open_raw(path);
  std::string value;
  BOOST_TEST(db->Get({}, format_key(), &value).IsNotFound());
}

// Reported in issue 9: a directory holding an unrelated file became a
// RocksDB database.
BOOST_AUTO_TEST_CASE(a_directory_with_an_unrelated_file_is_refused_untouched) {
  entact::test::temp_dir dir;
  auto path = dir.sub("papers");
  std::filesystem::create_directory(path);
  std::ofstream{path + "/thesis.txt"} << "four years of work";
  expect_refused_untouched(path);
  BOOST_TEST(std::filesystem::directory_iterator(path)->path().filename()
             == "thesis.txt");
}

// RocksDB files without entact's marker of creation and without the
// format key: refused too, whoever made them.
BOOST_AUTO_TEST_CASE(an_empty_rocksdb_without_format_key_is_refused) {
  entact::test::temp_dir dir;
  auto path = dir.sub("empty-rocksdb");
  entact::test::open_raw(path, true);
  expect_refused_untouched(path);
}

BOOST_AUTO_TEST_CASE(a_missing_directory_becomes_a_store) {
  entact::test::temp_dir dir;
  expect_a_working_store(dir.sub("new"));
}

BOOST_AUTO_TEST_CASE(an_empty_directory_becomes_a_store) {
  entact::test::temp_dir dir;
  std::filesystem::create_directory(dir.sub("empty"));
  expect_a_working_store(dir.sub("empty"));
}

// A fresh filesystem's mount point holds only lost+found.
BOOST_AUTO_TEST_CASE(a_mount_point_with_only_lost_and_found_becomes_a_store) {
  entact::test::temp_dir dir;
  std::filesystem::create_directories(dir.sub("mnt/lost+found"));
  expect_a_working_store(dir.sub("mnt"));
}

// A creation cut short after RocksDB made its files and before the format
// key was durable: the marker entact writes first says whose files they
// are, and the next open finishes the creation.
BOOST_AUTO_TEST_CASE(an_interrupted_creation_is_finished) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  entact::test::open_raw(path, true);
  std::ofstream{path + "/" + creation_marker()};
  expect_a_working_store(path);
  BOOST_TEST(!std::filesystem::exists(path + "/" + creation_marker()));
  expect_a_working_store(path);
}

BOOST_AUTO_TEST_CASE(a_store_reopens_and_keeps_no_marker) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  expect_a_working_store(path);
  BOOST_TEST(!std::filesystem::exists(path + "/" + creation_marker()));
  expect_a_working_store(path);
}

BOOST_AUTO_TEST_SUITE_END()
