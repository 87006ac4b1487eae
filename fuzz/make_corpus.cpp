// Writes the seed corpus of each fuzz target: valid inputs, so the fuzzer
// starts from what a real peer or store sends. Its output is committed in
// fuzz/corpus/<target>/seed-*; after a change of the wire contract, build
// it in build-fuzz/ and run `build-fuzz/fuzz/fuzz_make_corpus fuzz/corpus`. The crash inputs kept there as regressions
// (crash-*) are not its to write.
//
//   make_corpus DIR   writes DIR/<target>/seed-<name> for every seed

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/make_message.hpp>

#include "entact/atoms.hpp"
#include "entact/conflict.hpp"
#include "entact/engine_stats.hpp"
#include "entact/not_found.hpp"
#include "entact/register_types.hpp"
#include "entact/storage/record_codec.hpp"
#include "entact/txn.hpp"
#include "entact/write_op.hpp"
#include "support/basp_frames.hpp"

using namespace entact;
using bytes = std::vector<uint8_t>;

namespace {

std::filesystem::path root;

void write(const std::string& target, const std::string& name,
           const bytes& data) {
  auto dir = root / target;
  std::filesystem::create_directories(dir);
  std::ofstream out{dir / ("seed-" + name), std::ios::binary};
  out.write(reinterpret_cast<const char*>(data.data()),
            static_cast<std::streamsize>(data.size()));
  if (!out)
    throw std::runtime_error("cannot write " + (dir / name).string());
}

caf::actor_system& system_of_seeds() {
  static auto* sys = new caf::actor_system{*new config};
  return *sys;
}

template <class... Ts>
bytes wire_bytes(Ts... xs) {
  std::vector<char> buf;
  caf::binary_serializer sink{system_of_seeds(), buf};
  if (sink(xs...))
    throw std::runtime_error("cannot serialize a seed");
  return {buf.begin(), buf.end()};
}

/// A direct message's payload as BASP writes it: no forwarding stages,
/// then the message.
template <class... Ts>
bytes request(Ts... xs) {
  return wire_bytes(std::vector<caf::strong_actor_ptr>{},
                              caf::make_message(std::move(xs)...));
}

std::vector<std::pair<std::string, bytes>> requests() {
  txn_options opts;
  std::vector<entity_id> ids{"acct/1", "acct/2"};
  std::vector<txn_write> writes{{"acct/1", false, "70"}, {"acct/2", true, ""}};
  std::vector<write_op> ops{write_op::update("acct/1", 3, "x"),
                            write_op::create("acct/2", "y")};
  return {
    {"get", request(get_atom::value, entity_id{"acct/1"})},
    {"write", request(write_atom::value, write_op::update("acct/1", 1, "v"))},
    {"write-batch", request(write_atom::value, ops)},
    {"stats", request(stats_atom::value)},
    {"begin", request(begin_atom::value, opts)},
    {"begin-lock", request(begin_atom::value, opts, ids)},
    {"lock", request(lock_atom::value, txn_id{7}, ids)},
    {"commit", request(commit_atom::value, txn_id{7}, writes)},
    {"abort", request(abort_atom::value, txn_id{7})},
    {"read", request(read_atom::value, ids)},
  };
}

void basp_seeds() {
  using namespace entact::test;
  auto me = fake_node(4242);
  auto other = fake_node(4243, 0x33);
  auto hs = client_handshake(me);
  auto again = client_handshake(me, basp_select_connection_flag);
  auto beat = basp_header(basp_heartbeat, 0, 0);
  // No chunk cuts: [0][stream].
  auto plain = [](bytes stream) { return concat(bytes{0}, stream); };
  write("basp_check", "handshake", plain(hs));
  write("basp_check", "handshake-repeat-heartbeats",
        plain(concat(concat(hs, again), concat(beat, beat))));
  write("basp_check", "monitor-and-down",
        plain(concat(hs, concat(basp_frame(basp_monitor_message,
                                           serialized(me, other), 0, 0, 1),
                                basp_frame(basp_down_message,
                                           concat(serialized(me, other),
                                                  wire_bytes(caf::error{})),
                                           0, 7)))));
  bytes messages = hs;
  for (auto& [name, payload] : requests())
    messages = concat(messages,
                      basp_frame(basp_direct_message, payload, 1, 5, 1));
  write("basp_check", "requests", plain(messages));
  // Three cuts, inside the first header, its payload and the next header.
  write("basp_check", "requests-in-chunks",
        concat(bytes{3, 5, 0, 40, 0, 80, 0}, messages));
  // The inputs that crashed entactd before the guard (test_remote_frame_rules).
  write("basp_check", "empty-client-handshake",
        plain(basp_header(basp_client_handshake, 0, 0)));
  write("basp_check", "empty-server-handshake",
        plain(basp_header(basp_server_handshake, 0, basp_version)));
  write("basp_check", "empty-handshake-after-one",
        plain(concat(hs, basp_header(basp_client_handshake, 0, 0))));
}

void message_seeds() {
  for (auto& [name, payload] : requests())
    write("caf_message", name, payload);
}

/// [index into protocol_types.cpp's `types`][the value].
template <class T>
void type_seed(uint8_t index, const std::string& name, T x) {
  write("protocol_types", name,
        test::concat(bytes{index}, wire_bytes(std::move(x))));
}

void type_seeds() {
  record stored{"acct/1", 4, "100", false};
  type_seed(0, "entity_id", entity_id{"acct/1"});
  type_seed(1, "write_op", write_op::update("acct/1", 3, "100"));
  type_seed(2, "ids", std::vector<entity_id>{"a", "b/c"});
  type_seed(3, "write_ops", std::vector<write_op>{write_op::erase("a", 2)});
  type_seed(4, "txn_options", txn_options{});
  type_seed(5, "txn_writes", std::vector<txn_write>{{"a", false, "1"}});
  type_seed(6, "txn_id", txn_id{42});
  type_seed(7, "op_kind", op_kind::create_if_absent);
  type_seed(8, "txn_write", txn_write{"a", true, ""});
  type_seed(9, "record", stored);
  type_seed(10, "records", std::vector<record>{stored, {"b", 2, "", true}});
  type_seed(11, "conflict",
            conflict{"acct/1", 3, stored, op_kind::update_if_version, "90"});
  engine_stats stats; // the rest 0, as in the committed seed
  stats.resident = 3;
  stats.activations = 5;
  stats.passivations = 2;
  type_seed(12, "engine_stats", stats);
  type_seed(13, "txn_handle", txn_handle{7, 1});
  type_seed(14, "txn_begun", txn_begun{{7, 1}, {stored}, {}});
  type_seed(15, "conflict-error",
            make_conflict_error(
              conflict{"acct/1", 3, stored, op_kind::update_if_version, "9"}));
  type_seed(15, "not-found-error", make_not_found_error(stored));
}

void record_seeds() {
  auto encoded = [](record r) {
    auto s = storage::encode_record(r);
    return bytes{s.begin(), s.end()};
  };
  write("record_codec", "value", encoded({"a", 3, "hello", false}));
  write("record_codec", "empty-value", encoded({"a", 1, "", false}));
  write("record_codec", "tombstone", encoded({"a", 9, "", true}));
  write("record_codec", "max-version",
        encoded({"a", max_version, "v", false}));
}

/// The CLI's command lines of README.md's examples, each argument ended by
/// a NUL byte (fuzz/cli_args.cpp splits its input there).
void cli_seeds() {
  auto args = [](std::vector<std::string> argv) {
    bytes out;
    for (auto& arg : argv) {
      out.insert(out.end(), arg.begin(), arg.end());
      out.push_back(0);
    }
    return out;
  };
  write("cli_args", "get", args({"get", "acct/1"}));
  write("cli_args", "put-if-absent", args({"put", "acct/1", "100",
                                           "--if-absent"}));
  write("cli_args", "put-if-version", args({"--if-version=1", "put",
                                            "acct/1", "150"}));
  write("cli_args", "put-force", args({"put", "acct/1", "1", "--force"}));
  write("cli_args", "put-no-mode", args({"put", "acct/1", "999"}));
  write("cli_args", "put-dashed-value", args({"put", "--force", "--", "k",
                                              "--not-an-option"}));
  write("cli_args", "delete", args({"delete", "acct/2", "--if-version=1"}));
  write("cli_args", "txn", args({"txn", "acct/1=70", "acct/2=130"}));
  write("cli_args", "modify", args({"modify", "counter/1", "add", "5"}));
  write("cli_args", "stats", args({"stats"}));
  write("cli_args", "json-port", args({"--json", "--port=7411", "--host=::1",
                                       "--timeout-ms=500", "get", "acct/1"}));
  write("cli_args", "tls", args({"--tls-ca=ca.pem", "--tls-cert=me.pem",
                                 "--tls-key=me.key", "get", "acct/1"}));
  write("cli_args", "cluster-get",
        args({"--cluster=127.0.0.1:2181/shop", "get", "acct/1"}));
  write("cli_args", "cluster-txn",
        args({"--json", "--cluster=zk.example:2181/shop", "txn", "a=1",
              "b=2"}));
  write("cli_args", "help", args({"--help"}));
  write("cli_args", "unknown-option", args({"--bogus", "get", "a"}));
  write("cli_args", "openssl", args({"--openssl.cafile=x", "stats"}));
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_corpus DIR\n");
    return 64;
  }
  root = argv[1];
  basp_seeds();
  message_seeds();
  type_seeds();
  record_seeds();
  cli_seeds();
  return 0;
}
