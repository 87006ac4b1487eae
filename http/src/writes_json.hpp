#pragma once

#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "entact/write_op.hpp"

namespace entact::http {

/// The writes of a batch or transaction body, the `"writes"` array:
/// each `{"id", one of "if_version" | "if_absent": true | "overwrite":
/// true, one of "value" | "value_base64"}`, or `{"id", "if_version",
/// "delete": true}`. Returns why it is malformed (naming the write), or an
/// empty string.
std::string writes_of(const nlohmann::json& writes, std::vector<write_op>& ops);

/// True if the request says `Content-Type: application/json` (parameters
/// such as `charset` allowed). Demanding it keeps other origins' plain HTML
/// forms out: those cannot send it without a CORS preflight.
bool sent_as_json(const httplib::Request& req);

} // namespace entact::http
