// The on-disk layout of a partitioned store: a directory records how many
// partitions it holds and which RocksDB databases they are, and opening it
// refuses every mismatch (another partition count, a missing, swapped or
// foreign partition, a damaged layout file), changing nothing.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "entact/errc.hpp"
#include "entact/storage/store.hpp"
#include "entact/storage/store_dir.hpp"
#include "partition_layout.hpp"
#include "support/print.hpp"
#include "support/store_files.hpp"
#include "support/store_open.hpp"
#include "support/temp_dir.hpp"

using namespace entact;
using namespace entact::storage;
using entact::storage::detail::partition_layout;
using entact::storage::detail::record_or_check_identities;
using entact::storage::detail::resolve_layout;
using entact::test::detail_of;
using entact::test::options_for;
using entact::test::why;

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> four_ids{"id-zero", "id-one", "id-two",
                                        "id-three"};

// `detail_of` for an error that may be none (it has no context then).
std::string why_not(const caf::error& err) {
  return err ? detail_of(err) : std::string{};
}

std::string layout_file(const std::string& root) {
  return root + "/ENTACT-PARTITIONS";
}

std::string contents(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream{path, std::ios::binary | std::ios::trunc} << text;
}

std::vector<std::string> expected_paths(const std::string& root, size_t n) {
  std::vector<std::string> paths;
  for (size_t k = 0; k < n; ++k)
    paths.push_back((fs::path{root} / ("p" + std::to_string(k))).string());
  return paths;
}

// What `resolve_layout` checks of a partition: a directory holding a
// RocksDB CURRENT file (no RocksDB needed to look like one).
void fake_partitions(const partition_layout& layout) {
  for (const auto& path : layout.paths) {
    fs::create_directories(path);
    write_file(path + "/CURRENT", "MANIFEST-000001\n");
  }
}

// A store of 4 fake partitions whose identities `four_ids` are recorded.
partition_layout created_store_of_4(const std::string& root) {
  auto layout = resolve_layout(root, 4);
  BOOST_REQUIRE_MESSAGE(layout, why(layout));
  fake_partitions(*layout);
  auto err = record_or_check_identities(root, *layout, four_ids);
  BOOST_REQUIRE_MESSAGE(!err, why_not(err));
  return *layout;
}

void expect_refused(const caf::expected<partition_layout>& layout, errc code,
                    const std::vector<std::string>& words) {
  BOOST_REQUIRE_MESSAGE(!layout, "a layout was resolved");
  BOOST_TEST(code_of(layout.error()) == code);
  auto detail = detail_of(layout.error());
  BOOST_TEST_MESSAGE(detail);
  for (const auto& word : words)
    BOOST_TEST(detail.find(word) != std::string::npos,
               "\"" << word << "\" not in: " << detail);
}

void expect_refused(const caf::error& err, errc code,
                    const std::vector<std::string>& words) {
  BOOST_REQUIRE_MESSAGE(err, "not refused");
  BOOST_TEST(code_of(err) == code);
  auto detail = detail_of(err);
  BOOST_TEST_MESSAGE(detail);
  for (const auto& word : words)
    BOOST_TEST(detail.find(word) != std::string::npos,
               "\"" << word << "\" not in: " << detail);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_new_store_of_4_writes_its_layout_and_reopens) {
  entact::test::temp_dir dir;
  auto root = dir.sub("data");
  auto layout = resolve_layout(root, 4);
  BOOST_REQUIRE_MESSAGE(layout, why(layout));
  BOOST_TEST(layout->creating);
  BOOST_TEST(layout->paths == expected_paths(root, 4));
  BOOST_TEST(contents(layout_file(root)) == "entact-partitions 1\ncount 4\n");
  BOOST_TEST(!fs::exists(root + "/p0"), "a partition made before its open");
  fake_partitions(*layout);
  auto err = record_or_check_identities(root, *layout, four_ids);
  BOOST_REQUIRE_MESSAGE(!err, why_not(err));
  BOOST_TEST(contents(layout_file(root))
             == "entact-partitions 1\ncount 4\nidentity 0 id-zero\n"
                "identity 1 id-one\nidentity 2 id-two\nidentity 3 id-three\n");
  BOOST_TEST(!fs::exists(root + "/ENTACT-PARTITIONS.tmp"));
  for (size_t requested : {size_t{0}, size_t{4}}) {
    auto again = resolve_layout(root, requested);
    BOOST_REQUIRE_MESSAGE(again, why(again));
    BOOST_TEST(!again->creating);
    BOOST_TEST(again->paths == layout->paths);
    auto checked = record_or_check_identities(root, *again, four_ids);
    BOOST_TEST(!checked, why_not(checked));
  }
}

BOOST_AUTO_TEST_CASE(a_new_store_of_one_partition_is_the_root_itself) {
  entact::test::temp_dir dir;
  auto root = dir.sub("data");
  for (size_t requested : {size_t{0}, size_t{1}}) {
    auto layout = resolve_layout(root, requested);
    BOOST_REQUIRE_MESSAGE(layout, why(layout));
    BOOST_TEST(layout->paths == std::vector<std::string>{root});
    BOOST_TEST(!layout->creating);
    BOOST_TEST(!fs::exists(root), "the single store creates itself");
    BOOST_TEST(!record_or_check_identities(root, *layout, {}));
  }
}

BOOST_AUTO_TEST_CASE(another_partition_count_is_refused_unchanged) {
  entact::test::temp_dir dir;
  auto root = dir.sub("data");
  created_store_of_4(root);
  auto before = entact::test::snapshot_files(root);
  expect_refused(resolve_layout(root, 2), errc::invalid_argument,
                 {root, "holds a store of 4 partitions",
                  "opened with 2 partitions", "fixed when a store is created"});
  expect_refused(resolve_layout(root, 1), errc::invalid_argument,
                 {"4 partitions", "opened with 1 partition "});
  BOOST_TEST((entact::test::snapshot_files(root) == before));
}

BOOST_AUTO_TEST_CASE(a_single_store_opened_with_2_partitions_is_refused) {
  entact::test::temp_dir dir;
  auto root = dir.sub("single");
  {
    auto s = store::open(options_for(root));
    BOOST_REQUIRE_MESSAGE(s, why(s));
    BOOST_REQUIRE((*s)->commit({write_op::unconditional("a", "v")}));
  }
  auto before = entact::test::snapshot_files(root);
  expect_refused(resolve_layout(root, 2), errc::invalid_argument,
                 {root, "holds a store of 1 partition;",
                  "opened with 2 partitions"});
  BOOST_TEST((entact::test::snapshot_files(root) == before));
  for (size_t requested : {size_t{0}, size_t{1}}) {
    auto layout = resolve_layout(root, requested);
    BOOST_REQUIRE_MESSAGE(layout, why(layout));
    BOOST_TEST(layout->paths == std::vector<std::string>{root});
    BOOST_TEST(!layout->creating);
  }
  BOOST_TEST((entact::test::snapshot_files(root) == before));
}

BOOST_AUTO_TEST_CASE(a_single_store_cut_short_is_one_partition) {
  entact::test::temp_dir dir;
  auto root = dir.sub("single");
  fs::create_directory(root);
  write_file(root + "/" + creation_marker(), "being created\n");
  expect_refused(resolve_layout(root, 3), errc::invalid_argument,
                 {"holds a store of 1 partition;"});
  auto layout = resolve_layout(root, 0);
  BOOST_REQUIRE_MESSAGE(layout, why(layout));
  BOOST_TEST(layout->paths == std::vector<std::string>{root});
}

BOOST_AUTO_TEST_CASE(swapped_or_replaced_partitions_are_refused_by_name) {
  entact::test::temp_dir dir;
  auto root = dir.sub("data");
  auto layout = created_store_of_4(root);
  auto before = entact::test::snapshot_files(root);
  layout.creating = false;
  auto swapped = four_ids;
  std::swap(swapped[1], swapped[3]);
  expect_refused(record_or_check_identities(root, layout, swapped),
                 errc::invalid_argument,
                 {"partition p1 of " + root, "identity is id-three",
                  "recorded id-one", "the database recorded as p3"});
  auto replaced = four_ids;
  replaced[2] = "id-of-another-store";
  expect_refused(record_or_check_identities(root, layout, replaced),
                 errc::invalid_argument,
                 {"partition p2 of " + root, "replaced or copied"});
  auto copied = four_ids;
  copied[3] = copied[0];
  expect_refused(record_or_check_identities(root, layout, copied),
                 errc::invalid_argument,
                 {"partition p3 of " + root, "identity of p0"});
  expect_refused(record_or_check_identities(root, layout, {"a", "b"}),
                 errc::invalid_argument, {"2 identities", "4 partitions"});
  BOOST_TEST((entact::test::snapshot_files(root) == before));
}

BOOST_AUTO_TEST_CASE(bad_identities_are_not_recorded) {
  entact::test::temp_dir dir;
  auto root = dir.sub("data");
  auto layout = resolve_layout(root, 2);
  BOOST_REQUIRE_MESSAGE(layout, why(layout));
  fake_partitions(*layout);
  auto before = entact::test::snapshot_files(root);
  std::vector<std::vector<std::string>> bad{
    {"same", "same"},        {"ok", ""},
    {"with space", "ok"},    {"ok", "line\nbreak"},
    {"ok", std::string(65, 'x')}, {"one"}};
  for (const auto& ids : bad) {
    auto err = record_or_check_identities(root, *layout, ids);
    BOOST_TEST(code_of(err) == errc::invalid_argument, why_not(err));
  }
  BOOST_TEST((entact::test::snapshot_files(root) == before));
  auto again = resolve_layout(root, 0);
  BOOST_REQUIRE_MESSAGE(again, why(again));
  BOOST_TEST(again->creating);
}

BOOST_AUTO_TEST_CASE(a_missing_partition_is_refused_not_recreated) {
  entact::test::temp_dir dir;
  auto root = dir.sub("data");
  created_store_of_4(root);
  fs::remove_all(root + "/p2");
  auto before = entact::test::snapshot_files(root);
  expect_refused(resolve_layout(root, 0), errc::storage_failure,
                 {"partition p2 of " + root + " is missing"});
  BOOST_TEST(!fs::exists(root + "/p2"));
  fs::create_directory(root + "/p2");
  expect_refused(resolve_layout(root, 4), errc::storage_failure,
                 {"partition p2 of " + root + " is missing"});
  write_file(root + "/p2/stray", "not a database");
  expect_refused(resolve_layout(root, 4), errc::storage_failure,
                 {"partition p2 of " + root, "no complete database"});
  fs::remove_all(root + "/p2");
  BOOST_TEST((entact::test::snapshot_files(root) == before));
}

BOOST_AUTO_TEST_CASE(damaged_layout_files_are_refused_unchanged) {
  const std::string good = "entact-partitions 1\ncount 4\nidentity 0 a\n"
                           "identity 1 b\nidentity 2 c\nidentity 3 d\n";
  const std::map<std::string, std::string> damaged{
    {"empty", ""},
    {"truncated", good.substr(0, good.size() - 5)},
    {"truncated at a line", good.substr(0, good.find("identity 2"))},
    {"garbage", "\x7f" "ELF\x01\x02 binary stuff\n"},
    {"no count", "entact-partitions 1\n"},
    {"count 0", "entact-partitions 1\ncount 0\n"},
    {"count 1", "entact-partitions 1\ncount 1\n"},
    {"count 65", "entact-partitions 1\ncount 65\n"},
    {"count 04", "entact-partitions 1\ncount 04\n"},
    {"count -4", "entact-partitions 1\ncount -4\n"},
    {"count huge", "entact-partitions 1\ncount 99999999999999999999999\n"},
    {"duplicate identity line",
     "entact-partitions 1\ncount 2\nidentity 0 a\nidentity 0 b\n"},
    {"duplicate identity value",
     "entact-partitions 1\ncount 2\nidentity 0 a\nidentity 1 a\n"},
    {"missing identity", "entact-partitions 1\ncount 3\nidentity 0 a\n"
                         "identity 1 b\n"},
    {"identity out of order",
     "entact-partitions 1\ncount 2\nidentity 1 b\nidentity 0 a\n"},
    {"identity without value", "entact-partitions 1\ncount 2\nidentity 0\n"
                               "identity 1 b\n"},
    {"trailing garbage", good + "hello\n"},
    {"trailing blank line", good + "\n"},
    {"crlf", "entact-partitions 1\r\ncount 2\r\n"},
    {"unknown version", "entact-partitions 2\ncount 4\n"},
    {"another program", "some-other-tool 1\ncount 4\n"},
    {"too large", "entact-partitions 1\ncount 4\n" + std::string(9000, '#')},
  };
  for (const auto& [name, text] : damaged) {
    BOOST_TEST_CONTEXT(name) {
      entact::test::temp_dir dir;
      auto root = dir.str();
      write_file(layout_file(root), text);
      fake_partitions(partition_layout{expected_paths(root, 4), false});
      auto before = entact::test::snapshot_files(root);
      for (size_t requested : {size_t{0}, size_t{1}, size_t{4}})
        expect_refused(resolve_layout(root, requested),
                       errc::storage_failure,
                       {"damaged layout file " + layout_file(root)});
      BOOST_TEST((entact::test::snapshot_files(root) == before));
    }
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_layout_version_is_named) {
  entact::test::temp_dir dir;
  write_file(layout_file(dir.str()), "entact-partitions 2\ncount 4\n");
  expect_refused(resolve_layout(dir.str(), 0), errc::storage_failure,
                 {"unknown layout version 2"});
}

BOOST_AUTO_TEST_CASE(a_creation_cut_short_is_finished) {
  entact::test::temp_dir dir;
  auto root = dir.sub("data");
  auto first = resolve_layout(root, 4);
  BOOST_REQUIRE_MESSAGE(first, why(first));
  // Cut short after two partitions were made: no identity was recorded.
  fake_partitions(partition_layout{{first->paths[0], first->paths[1]}, true});
  for (size_t requested : {size_t{0}, size_t{4}}) {
    auto again = resolve_layout(root, requested);
    BOOST_REQUIRE_MESSAGE(again, why(again));
    BOOST_TEST(again->creating);
    BOOST_TEST(again->paths == first->paths);
  }
  expect_refused(resolve_layout(root, 3), errc::invalid_argument,
                 {"holds a store of 4 partitions"});
  fake_partitions(*first);
  auto err = record_or_check_identities(root, *first, four_ids);
  BOOST_REQUIRE_MESSAGE(!err, why_not(err));
  auto done = resolve_layout(root, 0);
  BOOST_REQUIRE_MESSAGE(done, why(done));
  BOOST_TEST(!done->creating);
}

BOOST_AUTO_TEST_CASE(a_leftover_temp_file_alone_is_a_new_store) {
  entact::test::temp_dir dir;
  auto root = dir.str();
  write_file(root + "/ENTACT-PARTITIONS.tmp", "entact-partitions 1\ncou");
  auto layout = resolve_layout(root, 3);
  BOOST_REQUIRE_MESSAGE(layout, why(layout));
  BOOST_TEST(layout->creating);
  BOOST_TEST(contents(layout_file(root)) == "entact-partitions 1\ncount 3\n");
  BOOST_TEST(!fs::exists(root + "/ENTACT-PARTITIONS.tmp"));
}

BOOST_AUTO_TEST_CASE(more_than_64_partitions_are_too_large) {
  entact::test::temp_dir dir;
  auto root = dir.sub("data");
  expect_refused(resolve_layout(root, 65), errc::too_large, {"at most 64"});
  BOOST_TEST(!fs::exists(root));
  auto layout = resolve_layout(root, 64);
  BOOST_REQUIRE_MESSAGE(layout, why(layout));
  BOOST_TEST(layout->paths.size() == 64u);
  BOOST_TEST(layout->paths.back() == root + "/p63");
}

BOOST_AUTO_TEST_CASE(a_foreign_directory_is_left_alone) {
  entact::test::temp_dir dir;
  auto root = dir.str();
  write_file(root + "/thesis.txt", "four years of work");
  auto before = entact::test::snapshot_files(root);
  expect_refused(resolve_layout(root, 2), errc::invalid_argument,
                 {root + " is not an entact store", "thesis.txt"});
  BOOST_TEST((entact::test::snapshot_files(root) == before));
  BOOST_TEST(!fs::exists(layout_file(root)));
  // For one partition the single store refuses it itself (with its reason).
  auto layout = resolve_layout(root, 0);
  BOOST_REQUIRE_MESSAGE(layout, why(layout));
  BOOST_TEST(layout->paths == std::vector<std::string>{root});
  BOOST_TEST((entact::test::snapshot_files(root) == before));
}

BOOST_AUTO_TEST_CASE(real_partitions_record_reopen_and_catch_a_swap) {
  entact::test::temp_dir dir;
  auto root = dir.sub("data");
  auto open_all = [](const partition_layout& layout) {
    std::vector<std::unique_ptr<store>> stores;
    for (const auto& path : layout.paths) {
      auto s = store::open(options_for(path));
      BOOST_REQUIRE_MESSAGE(s, why(s));
      stores.push_back(std::move(*s));
    }
    return stores;
  };
  auto identities = [](const std::vector<std::unique_ptr<store>>& stores) {
    std::vector<std::string> ids;
    for (const auto& s : stores)
      ids.push_back(s->identity());
    return ids;
  };
  auto layout = resolve_layout(root, 3);
  BOOST_REQUIRE_MESSAGE(layout, why(layout));
  std::vector<std::string> ids;
  {
    auto stores = open_all(*layout);
    ids = identities(stores);
    BOOST_TEST(!ids[0].empty());
    BOOST_TEST(ids[0] != ids[1]);
    BOOST_TEST(ids[1] != ids[2]);
    BOOST_REQUIRE(stores[1]->commit({write_op::unconditional("a", "in-p1")}));
    auto err = record_or_check_identities(root, *layout, ids);
    BOOST_REQUIRE_MESSAGE(!err, why_not(err));
  }
  auto again = resolve_layout(root, 0);
  BOOST_REQUIRE_MESSAGE(again, why(again));
  BOOST_TEST(!again->creating);
  {
    auto stores = open_all(*again);
    BOOST_TEST(identities(stores) == ids);
    auto err = record_or_check_identities(root, *again, identities(stores));
    BOOST_TEST(!err, why_not(err));
    auto r = stores[1]->read("a");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->value == "in-p1");
  }
  fs::rename(root + "/p0", root + "/swap");
  fs::rename(root + "/p1", root + "/p0");
  fs::rename(root + "/swap", root + "/p1");
  auto swapped = resolve_layout(root, 3);
  BOOST_REQUIRE_MESSAGE(swapped, why(swapped));
  auto stores = open_all(*swapped);
  auto before = contents(layout_file(root));
  expect_refused(record_or_check_identities(root, *swapped,
                                            identities(stores)),
                 errc::invalid_argument,
                 {"partition p0 of " + root, "swapped"});
  BOOST_TEST(contents(layout_file(root)) == before);
}
