#include "etag.hpp"

#include <charconv>

namespace entact::http {

namespace {

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

/// The version in an opaque tag's inside: decimal digits, no leading zero
/// (so one version has exactly one tag), within `version_t`.
std::optional<version_t> version_in(std::string_view digits) {
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0'))
    return std::nullopt;
  version_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(),
                                   digits.data() + digits.size(), v);
  if (ec != std::errc{} || end != digits.data() + digits.size())
    return std::nullopt;
  return v;
}

/// An RFC 9110 entity-tag (`"..."` or `W/"..."`): its opaque part, or
/// std::nullopt if the text is not one tag.
std::optional<std::string_view> opaque_of(std::string_view tag, bool& weak) {
  weak = tag.substr(0, 2) == "W/";
  if (weak)
    tag.remove_prefix(2);
  if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"')
    return std::nullopt;
  tag = tag.substr(1, tag.size() - 2);
  for (char c : tag)
    if (c == '"' || static_cast<unsigned char>(c) < 0x21 || c == 0x7f)
      return std::nullopt;
  return tag;
}

} // namespace

std::string etag_of(version_t v) {
  return '"' + std::to_string(v) + '"';
}

std::optional<version_t> parse_if_match(std::string_view field) {
  bool weak = false;
  auto opaque = opaque_of(trim(field), weak);
  if (!opaque || weak)
    return std::nullopt;
  return version_in(*opaque);
}

bool none_match::matches(const record& stored) const {
  if (!stored.exists())
    return false;
  if (any)
    return true;
  for (auto v : versions)
    if (v == stored.version)
      return true;
  return false;
}

std::optional<none_match> parse_if_none_match(std::string_view field) {
  none_match result;
  field = trim(field);
  if (field == "*") {
    result.any = true;
    return result;
  }
  if (field.empty())
    return std::nullopt;
  while (!field.empty()) {
    auto comma = field.find(',');
    auto item = trim(field.substr(0, comma));
    field = comma == std::string_view::npos ? std::string_view{}
                                            : field.substr(comma + 1);
    bool weak = false;
    auto opaque = opaque_of(item, weak);
    if (!opaque)
      return std::nullopt;
    if (auto v = version_in(*opaque))
      result.versions.push_back(*v);
  }
  return result;
}

} // namespace entact::http
