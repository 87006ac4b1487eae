#include "writes_json.hpp"

#include <set>

#include "json_codec.hpp"

namespace entact::http {

namespace {

using nlohmann::json;

/// Why a write of the body is malformed; empty if it is well-formed.
std::string value_of(const json& w, std::string& value) {
  auto text = w.find("value");
  auto b64 = w.find("value_base64");
  if ((text == w.end()) == (b64 == w.end()))
    return "needs one of value and value_base64";
  if (text != w.end()) {
    if (!text->is_string())
      return "value must be a string";
    value = text->get<std::string>();
    return {};
  }
  if (!b64->is_string() || !decode_base64(b64->get<std::string>(), value))
    return "value_base64 must be a base64 string (RFC 4648, padded)";
  return {};
}

/// One write of the body as a `write_op`, or why it is malformed.
std::string op_of(const json& w, write_op& op) {
  static const std::set<std::string> keys{"id",        "if_version",
                                          "if_absent", "overwrite",
                                          "delete",    "value",
                                          "value_base64"};
  if (!w.is_object())
    return "must be an object";
  for (const auto& [key, v] : w.items())
    if (keys.count(key) == 0)
      return "unknown member " + key;
  auto id = w.find("id");
  if (id == w.end() || !id->is_string())
    return "needs an id (a string)";
  op.id = id->get<std::string>();
  auto is_true = [&](const char* key) {
    auto i = w.find(key);
    return i != w.end() && i->is_boolean() && i->get<bool>();
  };
  auto if_version = w.find("if_version");
  auto versioned = if_version != w.end();
  if (versioned && !if_version->is_number_unsigned())
    return "if_version must be a version (an unsigned integer)";
  for (const char* key : {"if_absent", "overwrite", "delete"})
    if (w.count(key) != 0 && !is_true(key))
      return std::string{key} + " may only be true";
  auto modes = int{versioned} + int{is_true("if_absent")}
               + int{is_true("overwrite")};
  if (modes != 1)
    return "needs exactly one of if_version, if_absent: true and "
           "overwrite: true";
  if (is_true("delete")) {
    if (!versioned)
      return "a delete needs if_version";
    if (w.count("value") + w.count("value_base64") != 0)
      return "a delete carries no value";
    op = write_op::erase(op.id, if_version->get<version_t>());
    return {};
  }
  std::string value;
  if (auto why = value_of(w, value); !why.empty())
    return why;
  if (versioned)
    op = write_op::update(op.id, if_version->get<version_t>(), value);
  else if (is_true("if_absent"))
    op = write_op::create(op.id, value);
  else
    op = write_op::unconditional(op.id, value);
  return {};
}

} // namespace

std::string writes_of(const json& writes, std::vector<write_op>& ops) {
  if (!writes.is_array())
    return "writes must be an array";
  for (size_t i = 0; i < writes.size(); ++i) {
    write_op op;
    if (auto why = op_of(writes[i], op); !why.empty())
      return "writes[" + std::to_string(i) + "]: " + why;
    ops.push_back(std::move(op));
  }
  return {};
}

bool sent_as_json(const httplib::Request& req) {
  auto type = req.get_header_value("Content-Type");
  return type.substr(0, type.find(';')) == "application/json";
}

} // namespace entact::http
