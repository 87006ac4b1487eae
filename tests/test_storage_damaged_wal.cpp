// A damaged write-ahead log is refused, never silently replayed up to the
// damage; a torn tail (what a crash leaves) still opens; only an explicit
// salvage opens a damaged log, and it says what RocksDB dropped.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <caf/message.hpp>

#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "entact/storage/store.hpp"
#include "support/print.hpp"
#include "support/store_files.hpp"
#include "support/store_open.hpp"
#include "support/temp_dir.hpp"

using namespace entact;
using namespace entact::storage;
using entact::test::detail_of;
using entact::test::wal_id;
using entact::test::why;
using entact::test::wal_value;

namespace {

constexpr int records = 200;

store_options options_for(const std::string& path, bool salvage = false) {
  auto opts = entact::test::options_for(path);
  opts.sync = true;
  opts.salvage_wal = salvage;
  return opts;
}


/// A store whose `records` acknowledged records live only in its WAL, as a
/// crash (SIGKILL, power loss after the sync) leaves it.
void make_crashed_store(const std::string& path) {
  BOOST_REQUIRE(store::open(options_for(path)));
  entact::test::write_only_to_wal(path, records);
  BOOST_REQUIRE_GT(entact::test::wal_bytes(path), 0u);
}

/// How many of the `records` records read back intact; the rest must read
/// as absent (a prefix survives, never a damaged record).
int intact_prefix(store& s) {
  int intact = 0;
  for (int i = 0; i < records; ++i) {
    auto r = s.read(wal_id(i));
    BOOST_REQUIRE(r);
    if (r->exists()) {
      BOOST_TEST(r->value == wal_value(i));
      BOOST_TEST(intact == i, "record " << i << " after a hole");
      ++intact;
    }
  }
  return intact;
}

} // namespace

BOOST_AUTO_TEST_SUITE(damaged_wal)

// Reported in issue 9: truncating the WAL to half after a clean stop kept
// 101 of 200 records and nobody noticed. A clean stop now leaves nothing
// only in the WAL: every acknowledged record is in checksummed table files.
BOOST_AUTO_TEST_CASE(a_clean_stop_leaves_nothing_that_a_wal_cut_can_lose) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  {
    auto s = store::open(options_for(path));
    BOOST_REQUIRE(s);
    for (int i = 0; i < records; ++i)
      BOOST_REQUIRE((*s)->commit({write_op::create(wal_id(i), wal_value(i))}));
  }
  entact::test::truncate_wals(path, [](uintmax_t size) { return size / 2; });
  auto s = store::open(options_for(path));
  BOOST_REQUIRE(s);
  BOOST_TEST(intact_prefix(**s) == records);
}

// Reported in issue 9: flipped bytes in the WAL kept 1 of 200 records.
// Damage inside a record (its checksum fails) is refused, and the refused
// open changes nothing, so a salvage or a forensic copy still sees it all.
BOOST_AUTO_TEST_CASE(a_damaged_record_in_the_wal_is_refused_untouched) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  make_crashed_store(path);
  auto log = entact::test::flip_bit_in_wal(path, wal_value(100));
  auto before = entact::test::snapshot_files(path);
  auto s = store::open(options_for(path));
  if (s)
    BOOST_FAIL("opened with " << intact_prefix(**s) << " of " << records
                              << " records");
  auto detail = detail_of(s.error());
  BOOST_TEST(code_of(s.error()) == errc::storage_failure);
  BOOST_TEST(detail.find("damaged write-ahead log") != std::string::npos,
             detail);
  BOOST_TEST(detail.find(log) != std::string::npos, detail);
  BOOST_TEST(detail.find("checksum mismatch") != std::string::npos, detail);
  BOOST_TEST(detail.find("salvage") != std::string::npos, detail);
  BOOST_TEST((entact::test::snapshot_files(path) == before));
}

// What SIGKILL mid-write leaves: the last record cut short. It was never
// acknowledged; everything before it opens (the crash tests rely on it).
BOOST_AUTO_TEST_CASE(a_torn_tail_opens_with_everything_before_it) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  make_crashed_store(path);
  entact::test::truncate_wals(path, [](uintmax_t size) { return size - 5; });
  auto s = store::open(options_for(path));
  BOOST_REQUIRE_MESSAGE(s, why(s));
  BOOST_TEST(intact_prefix(**s) == records - 1);
}

// The limit of what RocksDB can tell: a log cut anywhere after a crash
// looks exactly like a torn tail (the log records no length of its own),
// so a store whose acknowledged writes are still only in its WAL opens
// with the prefix before the cut. README, "Damaged disks", says so.
BOOST_AUTO_TEST_CASE(a_wal_cut_after_a_crash_reads_as_a_torn_tail) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  make_crashed_store(path);
  entact::test::truncate_wals(path, [](uintmax_t size) { return size / 2; });
  auto s = store::open(options_for(path));
  BOOST_REQUIRE(s);
  auto kept = intact_prefix(**s);
  BOOST_TEST_MESSAGE("a WAL cut to half kept " << kept << " of " << records);
  BOOST_TEST(kept > 0);
  BOOST_TEST(kept < records);
}

// The other such limit: RocksDB reads its log in 32 KiB blocks, and in a
// log's last block a record whose length field is damaged to point past
// the end of the file looks like a record cut short, so it and the rest of
// the log are dropped silently. (In an earlier block the same damage is
// refused.) This WAL is one block: its 200 records take about 11 KiB.
BOOST_AUTO_TEST_CASE(a_damaged_length_in_the_last_block_reads_as_a_torn_tail) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  make_crashed_store(path);
  auto log = entact::test::wal_files(path).back();
  BOOST_REQUIRE_LT(std::filesystem::file_size(log), 32u * 1024);
  {
    std::fstream f{log, std::ios::in | std::ios::out | std::ios::binary};
    std::string bytes{std::istreambuf_iterator<char>{f}, {}};
    // Record 100's key, after its log record header (checksum u32, length
    // u16, type u8), the batch header (sequence u64, count u32), the Put
    // tag and the key's length (a byte each).
    auto key = bytes.find(entity_key(wal_id(100)));
    BOOST_REQUIRE(key != std::string::npos);
    f.seekp(static_cast<std::streamoff>(key - 21 + 5)); // length, high byte
    f.put('\x7f');
  }
  auto s = store::open(options_for(path));
  BOOST_REQUIRE_MESSAGE(s, why(s));
  BOOST_TEST(intact_prefix(**s) == 100);
}

// Only on request: open what precedes the damage and say what was dropped.
BOOST_AUTO_TEST_CASE(salvage_opens_the_prefix_and_reports_the_drop) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  make_crashed_store(path);
  auto log = entact::test::flip_bit_in_wal(path, wal_value(100));
  {
    auto s = store::open(options_for(path, true));
    BOOST_REQUIRE_MESSAGE(s, why(s));
    const auto& report = (*s)->salvage_report();
    BOOST_REQUIRE(!report.empty());
    std::string all;
    for (const auto& line : report)
      all += line + "\n";
    BOOST_TEST_MESSAGE("salvage report:\n" << all);
    BOOST_TEST(all.find(log) != std::string::npos, all);
    BOOST_TEST(all.find("dropping") != std::string::npos, all);
    BOOST_TEST(all.find("checksum mismatch") != std::string::npos, all);
    BOOST_TEST(intact_prefix(**s) == 100);
  }
  // The salvaged store is whole again: a plain open accepts it.
  auto s = store::open(options_for(path));
  BOOST_REQUIRE_MESSAGE(s, why(s));
  BOOST_TEST((*s)->salvage_report().empty());
  BOOST_TEST(intact_prefix(**s) == 100);
}

// A salvage of an undamaged store drops nothing and reports nothing.
BOOST_AUTO_TEST_CASE(salvage_of_a_whole_store_reports_nothing) {
  entact::test::temp_dir dir;
  auto path = dir.sub("db");
  make_crashed_store(path);
  auto s = store::open(options_for(path, true));
  BOOST_REQUIRE_MESSAGE(s, why(s));
  BOOST_TEST((*s)->salvage_report().empty());
  BOOST_TEST(intact_prefix(**s) == records);
}

BOOST_AUTO_TEST_SUITE_END()
