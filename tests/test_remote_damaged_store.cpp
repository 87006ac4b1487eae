// entactd on a damaged or foreign data directory: it refuses to start,
// exits 1 with a message that names the directory and the problem, and
// changes nothing there. `--salvage-wal` opens a damaged store with the
// writes before the damage.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/print.hpp"
#include "support/remote_client.hpp"
#include "support/run_command.hpp"
#include "support/server_process.hpp"
#include "support/store_files.hpp"
#include "support/temp_dir.hpp"

using namespace entact;
using namespace entact::test;
using namespace std::chrono_literals;

namespace {

constexpr int records = 50;

/// Runs entactd on `data_dir` and expects it to refuse: exit code 1, every
/// one of `phrases` on stderr, and no file of the directory changed.
void expect_refusal(const std::string& data_dir,
                    const std::vector<std::string>& phrases) {
  auto before = snapshot_files(data_dir);
  auto r = run_command({ENTACT_ENTACTD_PATH, "--data-dir=" + data_dir,
                        "--port=0"},
                       60s);
  BOOST_TEST_MESSAGE("entactd said: " << r.err);
  BOOST_TEST(r.exit_code == 1);
  for (const auto& phrase : phrases)
    BOOST_TEST(r.err.find(phrase) != std::string::npos,
               "no \"" << phrase << "\" in: " << r.err);
  BOOST_TEST((snapshot_files(data_dir) == before));
}

} // namespace

BOOST_AUTO_TEST_SUITE(damaged_store)

// Acknowledged writes, a SIGKILL (they are in the WAL only), then one bit
// of the WAL flips: entactd refuses; with --salvage-wal it serves the
// writes before the damage.
BOOST_AUTO_TEST_CASE(entactd_refuses_a_damaged_wal_and_salvages_on_request) {
  server_process server;
  {
    auto db = connect_or_throw(server.port());
    for (int i = 0; i < records; ++i)
      BOOST_REQUIRE(db->create(wal_id(i), wal_value(i)));
  }
  server.crash();
  auto data = server.data_dir();
  auto log = flip_bit_in_wal(data, wal_value(records / 2));
  expect_refusal(data, {"cannot open " + data, "damaged write-ahead log",
                        log, "checksum mismatch", "--salvage-wal"});

  temp_dir run;
  auto port_file = run.sub("port");
  child_process salvaged{{ENTACT_ENTACTD_PATH, "--data-dir=" + data,
                          "--port=0", "--port-file=" + port_file,
                          "--salvage-wal"}};
  auto db = connect_or_throw(wait_for_port_file(port_file));
  for (int i = 0; i < records; ++i) {
    auto r = db->get(wal_id(i));
    if (i < records / 2)
      BOOST_TEST((r && r->value == wal_value(i)), "record " << i);
    else
      BOOST_TEST((!r && code_of(r.error()) == errc::not_found),
                 "record " << i);
  }
  db.reset();
  salvaged.signal(SIGTERM);
  BOOST_TEST(salvaged.wait_exit_for(30s) == 0);
}

BOOST_AUTO_TEST_CASE(entactd_refuses_a_directory_with_an_unrelated_file) {
  temp_dir dir;
  auto data = dir.sub("papers");
  std::filesystem::create_directory(data);
  std::ofstream{data + "/thesis.txt"} << "four years of work";
  expect_refusal(data, {"cannot open " + data, "not an entact store",
                        "thesis.txt"});
}

BOOST_AUTO_TEST_CASE(entactd_refuses_another_programs_rocksdb) {
  temp_dir dir;
  auto data = dir.sub("other");
  {
    auto db = open_raw(data, true);
    BOOST_REQUIRE(db->Put({}, "foo", "bar").ok());
    BOOST_REQUIRE(db->Put({}, "ebanana", "yellow").ok());
  }
  expect_refusal(data, {"cannot open " + data, "not an entact store",
                        "mformat"});
}

BOOST_AUTO_TEST_SUITE_END()
