#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "entact/conflict.hpp"
#include "entact/errc.hpp"
#include "operations/operation_registry.hpp"

namespace entact::detail {

namespace {

/// A whole string as a decimal number (std::from_chars: no sign for
/// unsigned, no '+', no spaces), or nothing.
template <class T>
std::optional<T> parse_decimal(std::string_view str) {
  T x = 0;
  auto last = str.data() + str.size();
  auto [ptr, ec] = std::from_chars(str.data(), last, x);
  if (str.empty() || ec != std::errc{} || ptr != last)
    return std::nullopt;
  return x;
}

/// At most the first 32 bytes of `str`, for an error message.
std::string excerpt(const std::string& str) {
  return str.size() <= 32 ? str : str.substr(0, 32) + "...";
}

/// `add`: the stored value plus the argument, both decimal signed 64-bit
/// integers; an absent or deleted entity counts as 0.
caf::expected<std::string> add(const record& cur, const std::string& arg) {
  auto delta = parse_decimal<int64_t>(arg);
  if (!delta)
    return make_error(errc::invalid_argument,
                      "add: the argument is not a decimal 64-bit integer: '"
                        + excerpt(arg) + "'");
  int64_t base = 0;
  if (cur.exists()) {
    auto stored = parse_decimal<int64_t>(cur.value);
    if (!stored)
      return make_error(errc::invalid_argument,
                        "add: the value of " + cur.id
                          + " is not a decimal 64-bit integer: '"
                          + excerpt(cur.value) + "'");
    base = *stored;
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(base, *delta, &sum))
    return make_error(errc::invalid_argument,
                      "add: " + std::to_string(base) + " + "
                        + std::to_string(*delta)
                        + " overflows a signed 64-bit integer");
  return std::to_string(sum);
}

/// `append`: the stored value (empty if absent or deleted) followed by the
/// argument's bytes.
caf::expected<std::string> append(const record& cur, const std::string& arg) {
  return (cur.exists() ? cur.value : std::string{}) + arg;
}

/// `set_if_version`: the argument is `VERSION:VALUE`; sets VALUE if the
/// entity is at VERSION (0: never existed; a tombstone's version: deleted),
/// else a `conflict` like a refused versioned write.
caf::expected<std::string> set_if_version(const record& cur,
                                          const std::string& arg) {
  auto colon = arg.find(':');
  auto version = colon == std::string::npos
                   ? std::nullopt
                   : parse_decimal<version_t>(std::string_view{arg}.substr(
                     0, colon));
  if (!version)
    return make_error(errc::invalid_argument,
                      "set_if_version: the argument is VERSION:VALUE, got '"
                        + excerpt(arg) + "'");
  auto value = arg.substr(colon + 1);
  if (cur.version != *version)
    return make_conflict_error(conflict{cur.id, *version, cur,
                                        op_kind::update_if_version,
                                        std::move(value)});
  return value;
}

} // namespace

operation_map builtin_operations() {
  return {{"add", add}, {"append", append}, {"set_if_version", set_if_version}};
}

} // namespace entact::detail
