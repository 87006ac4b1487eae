// Bearer-token authentication (`--http-token-file`): one shared secret,
// sent by every client in the Authorization header. Never a cookie: a
// browser sends cookies on cross-site requests by itself, which would
// hand a foreign page the user's credentials; a header it never adds.

#include "auth.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "problem.hpp"

namespace entact::http {

namespace {

constexpr const char* watch_route = "/v1/entities/*/watch";

bool is_open(const httplib::Request& req, const std::string& route) {
  auto reads = req.method == "GET" || req.method == "HEAD";
  return reads && (route == "/healthz" || route == "/" || route == "/console");
}

/// The token of `Authorization: Bearer <token>` ("" if there is none).
std::string bearer_of(const httplib::Request& req) {
  if (req.get_header_value_count("Authorization") != 1)
    return {};
  auto value = req.get_header_value("Authorization");
  constexpr std::string_view scheme = "Bearer ";
  if (value.size() <= scheme.size()
      || !std::equal(scheme.begin(), scheme.end(), value.begin(),
                     [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a))
                              == std::tolower(static_cast<unsigned char>(b));
                     }))
    return {};
  return value.substr(scheme.size());
}

/// The watch route's `?access_token=`, taken out of the query so that the
/// route (which refuses parameters it does not know) never sees it.
std::string take_query_token(const httplib::Request& req) {
  if (req.get_param_value_count("access_token") != 1)
    return {};
  auto token = req.get_param_value("access_token");
  const_cast<httplib::Request&>(req).params.erase("access_token");
  return token;
}

} // namespace

bool token_matches(const std::string& given, const std::string& token) {
  unsigned char a[SHA256_DIGEST_LENGTH];
  unsigned char b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(),
         a);
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         b);
  return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

bool refuse_unauthenticated(const httplib::Request& req,
                            httplib::Response& res, const http_options& opts,
                            const std::string& route) {
  if (opts.token.empty() || is_open(req, route))
    return false;
  auto given = bearer_of(req);
  if (given.empty() && route == watch_route && req.method == "GET")
    given = take_query_token(req);
  if (!given.empty() && token_matches(given, opts.token))
    return false;
  send_problem(res, 401, "unauthorized",
               given.empty() ? "this gateway needs Authorization: Bearer "
                               "<token> (see --http-token-file)"
                             : "the bearer token is not this gateway's");
  res.set_header("WWW-Authenticate",
                 given.empty()
                   ? R"(Bearer realm="entact")"
                   : R"(Bearer realm="entact", error="invalid_token")");
  return true;
}

} // namespace entact::http
