#include "prepared_codec.hpp"

#include <chrono>
#include <limits>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "entact/errc.hpp"

namespace entact::storage {

namespace {

// The detail of an entact error (its text), for wrapping it in another.
std::string text_of(const caf::error& err) {
  const auto& ctx = err.context();
  return ctx.size() == 1 && ctx.match_element<std::string>(0)
           ? ctx.get_as<std::string>(0)
           : std::string{to_string(static_cast<errc>(err.code()))};
}

caf::error check_name(std::string_view what, std::string_view name) {
  if (name.empty())
    return make_error(errc::invalid_argument, std::string{what} + " is empty");
  if (name.size() > max_participant_bytes)
    return make_error(errc::too_large,
                      std::string{what} + " has " + std::to_string(name.size())
                        + " bytes, limit is "
                        + std::to_string(max_participant_bytes));
  return {};
}

} // namespace

const char* to_string(decision x) noexcept {
  switch (x) {
    case decision::none: return "none";
    case decision::commit: return "commit";
    case decision::abort: return "abort";
  }
  return "unknown";
}

caf::error validate_txn_id(std::string_view txn) {
  limits lim;
  lim.max_id_bytes = max_txn_id_bytes;
  if (auto err = validate_id(txn, lim))
    return make_error(static_cast<errc>(err.code()),
                      "transaction id: " + text_of(err));
  return {};
}

caf::error validate_participants(const std::vector<std::string>& names,
                                 std::string_view holder) {
  if (names.size() > max_participants)
    return make_error(errc::too_large,
                      std::to_string(names.size())
                        + " participants, limit is "
                        + std::to_string(max_participants));
  for (const auto& name : names)
    if (auto err = check_name("a participant's name", name))
      return err;
  return check_name("the decision holder's name", holder);
}

std::string prepared_key(std::string_view txn) {
  std::string key{"p"};
  key.append(txn);
  return key;
}

std::string decision_key(std::string_view txn) {
  std::string key{"d"};
  key.append(txn);
  return key;
}

} // namespace entact::storage

namespace entact::storage::detail {

namespace {

constexpr uint8_t prepared_format = 1;
constexpr uint8_t decision_format = 1;
constexpr uint8_t intent_format = 1;

// CAF's serializer takes its input by non-const reference (inspect is one
// function for both directions); it only reads it.
template <class T>
caf::expected<std::string> encode(uint8_t format, const T& x) {
  std::vector<char> buf{static_cast<char>(format)};
  caf::binary_serializer sink{nullptr, buf};
  if (auto err = sink(const_cast<T&>(x)))
    return make_error(errc::storage_failure, "encoding a 2PC record failed");
  return std::string{buf.begin(), buf.end()};
}

template <class T>
caf::error decode(std::string_view what, uint8_t format,
                  std::string_view bytes, T& x) {
  if (bytes.empty())
    return make_error(errc::storage_failure, std::string{what} + " is empty");
  if (static_cast<uint8_t>(bytes[0]) != format)
    return make_error(errc::storage_failure,
                      std::string{what} + " has unknown format "
                        + std::to_string(static_cast<uint8_t>(bytes[0])));
  caf::binary_deserializer source{nullptr, bytes.data() + 1, bytes.size() - 1};
  if (auto err = source(x))
    return make_error(errc::storage_failure,
                      std::string{what} + " is truncated or malformed");
  if (source.remaining() != 0)
    return make_error(errc::storage_failure,
                      std::string{what} + " has "
                        + std::to_string(source.remaining())
                        + " trailing bytes");
  // CAF reads a length written in more bytes than needed (0x80 0x00 for 0,
  // found by fuzz_prepared_codec): only this build's own encoding is a
  // record, so that what decodes re-encodes to the same bytes.
  auto again = encode(format, x);
  if (!again || *again != bytes)
    return make_error(errc::storage_failure,
                      std::string{what} + " is not in its canonical encoding");
  return {};
}

// Ops are checked for their shape only: a record written under larger
// size limits than today's is still honoured.
caf::error check_writes(const prepared_txn& t) {
  if (t.writes.empty())
    return make_error(errc::storage_failure, "it holds no writes");
  limits any_size;
  any_size.max_id_bytes = std::numeric_limits<size_t>::max();
  any_size.max_value_bytes = std::numeric_limits<size_t>::max();
  for (const auto& w : t.writes)
    if (auto err = validate(w.op, any_size))
      return make_error(errc::storage_failure, "it holds an invalid write");
  return {};
}

caf::error damaged(std::string_view txn, const caf::error& why) {
  return make_error(errc::storage_failure,
                    "prepared record of transaction " + std::string{txn}
                      + " is damaged: " + text_of(why));
}

} // namespace

caf::expected<std::string> encode_prepared(const prepared_txn& t) {
  return encode(prepared_format, t);
}

caf::expected<std::string> encode_decision(const decision_record& d) {
  return encode(decision_format, d);
}

caf::expected<prepared_txn> decode_prepared(std::string_view txn,
                                            std::string_view bytes) {
  prepared_txn t;
  if (auto err = decode("the record", prepared_format, bytes, t))
    return damaged(txn, err);
  if (t.txn != txn)
    return damaged(txn, make_error(errc::storage_failure,
                                   "it names transaction " + t.txn));
  if (auto err = check_writes(t))
    return damaged(txn, err);
  return t;
}

caf::expected<decision_record> decode_decision(std::string_view txn,
                                               std::string_view bytes) {
  decision_record d;
  auto err = decode("decision record of transaction " + std::string{txn},
                    decision_format, bytes, d);
  if (err)
    return err;
  if (d.outcome != decision::commit && d.outcome != decision::abort)
    return make_error(errc::storage_failure,
                      "decision record of transaction " + std::string{txn}
                        + " holds an unknown outcome");
  return d;
}

std::string intent_prefix() {
  return "i";
}

std::string intent_key(uint64_t span) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string key = intent_prefix();
  for (int shift = 60; shift >= 0; shift -= 4)
    key.push_back(digits[(span >> shift) & 0xf]);
  return key;
}

caf::expected<std::string> encode_intent(const span_intent& x) {
  return encode(intent_format, x);
}

caf::expected<span_intent> decode_intent(std::string_view key,
                                         std::string_view bytes) {
  auto what = "intent " + std::string{key};
  span_intent x;
  if (auto err = decode(what, intent_format, bytes, x))
    return err;
  auto bad = [&](const char* why) {
    return make_error(errc::storage_failure, what + " is damaged: " + why);
  };
  if (intent_key(x.span) != key)
    return bad("it names another span");
  if (x.parts.empty())
    return bad("it has no parts");
  for (const auto& part : x.parts) {
    if (part.records.empty())
      return bad("a part has no records");
    for (const auto& rec : part.records)
      if (rec.version == no_version || rec.id.empty())
        return bad("a record has no id or no version");
  }
  return x;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace entact::storage::detail
