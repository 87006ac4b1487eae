// POST /v1/batch: several versioned writes applied atomically by
// `database::apply_batch` -- all commit in one RocksDB commit, or none.
//
//   {"writes": [{"id": "a", "if_version": 3, "value": "x"},
//               {"id": "b", "if_absent": true, "value_base64": "AAE="},
//               {"id": "c", "if_version": 2, "delete": true},
//               {"id": "d", "overwrite": true, "value": "z"}]}

#include <set>

#include "body.hpp"
#include "json_codec.hpp"
#include "problem.hpp"
#include "routes.hpp"

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

/// The body's writes, or why it is malformed.
std::string ops_of(const std::string& body, std::vector<write_op>& ops) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return "the body is not JSON";
  if (!doc.is_object() || doc.size() != 1 || !doc.contains("writes")
      || !doc["writes"].is_array())
    return R"(the body must be {"writes": [...]})";
  const auto& writes = doc["writes"];
  for (size_t i = 0; i < writes.size(); ++i) {
    write_op op;
    if (auto why = op_of(writes[i], op); !why.empty())
      return "writes[" + std::to_string(i) + "]: " + why;
    ops.push_back(std::move(op));
  }
  return {};
}

bool is_json(const std::string& content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  return type == "application/json";
}

void post_batch(exchange& ex, database& db, const http_options& opts) {
  if (!ex.req.params.empty())
    return send_problem(ex.res, 400, "invalid_argument",
                        "a batch takes no query parameters");
  // Demanding JSON also keeps other origins' plain HTML forms out.
  if (!is_json(ex.req.get_header_value("Content-Type")))
    return send_problem(ex.res, 415, "unsupported_media_type",
                        "a batch is sent as Content-Type: application/json");
  std::string body;
  if (!read_body(ex, opts.max_body_bytes, body))
    return;
  std::vector<write_op> ops;
  if (auto why = ops_of(body, ops); !why.empty())
    return send_problem(ex.res, 400, "invalid_argument", why);
  auto recs = db.apply_batch(std::move(ops));
  if (!recs)
    return send_error(ex.res, recs.error(), opts, true);
  auto records = json::array();
  for (const auto& rec : *recs)
    records.push_back(written_json(rec));
  ex.res.status = 200;
  ex.res.set_content(json{{"records", records}}.dump(), "application/json");
}

} // namespace

void add_batch_route(router& r, database& db, const http_options& opts) {
  r.add("POST", "/v1/batch",
        [&db, opts](exchange& ex) { post_batch(ex, db, opts); });
}

} // namespace entact::http
