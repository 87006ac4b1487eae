#pragma once

#include <stdexcept>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace entact::test {

/// cpp-httplib's client for the gateway on 127.0.0.1:`port`, with short
/// timeouts so a hang fails the test instead of stalling it.
inline httplib::Client http_client(uint16_t port) {
  httplib::Client cli{"127.0.0.1", port};
  cli.set_connection_timeout(5);
  cli.set_read_timeout(30);
  cli.set_write_timeout(30);
  return cli;
}

/// The response of `res`, or a thrown error if the request failed.
inline const httplib::Response& response_of(const httplib::Result& res) {
  if (!res)
    throw std::runtime_error("HTTP request failed: "
                             + httplib::to_string(res.error()));
  return *res;
}

/// The problem+json body of an error response, parsed.
inline nlohmann::json problem_of(const httplib::Response& res) {
  if (res.get_header_value("Content-Type") != "application/problem+json")
    throw std::runtime_error("not a problem+json body: "
                             + res.get_header_value("Content-Type"));
  return nlohmann::json::parse(res.body);
}

/// The ETag of `version`: `"3"`.
inline std::string etag(uint64_t version) {
  return '"' + std::to_string(version) + '"';
}

} // namespace entact::test
