// The Host and Origin checks: what keeps a web page of another site from
// reaching the gateway through the visitor's browser. DNS rebinding gives
// the page's own name the gateway's address, so the browser sends
// `Host: attacker.example`: refused. A cross-site form or fetch sends the
// right Host but the foreign page's `Origin`: refused for writes.

#include "host_check.hpp"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>

#include "problem.hpp"

namespace entact::http {

namespace {

/// A `Host` (or an allowed entry) split into its name and its port ("" if
/// it names none). False if it is malformed.
struct authority {
  std::string name;
  std::string port;
};

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5
         && std::all_of(s.begin(), s.end(),
                        [](unsigned char c) { return std::isdigit(c); });
}

bool parse_authority(std::string_view text, authority& out) {
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return false;
    out.name = std::string{text.substr(0, close + 1)};
    rest = text.substr(close + 1);
  } else {
    auto colon = text.find(':');
    out.name = std::string{text.substr(0, colon)};
    rest = colon == std::string_view::npos ? std::string_view{}
                                           : text.substr(colon);
  }
  if (out.name.empty())
    return false;
  std::transform(out.name.begin(), out.name.end(), out.name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (rest.empty()) {
    out.port.clear();
    return true;
  }
  if (rest.front() != ':' || !all_digits(rest.substr(1)))
    return false;
  out.port = std::string{rest.substr(1)};
  return true;
}

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  if (name.size() > 2 && name.front() == '[' && name.back() == ']')
    return inet_pton(AF_INET6, name.substr(1, name.size() - 2).c_str(), buf)
           == 1;
  return inet_pton(AF_INET, name.c_str(), buf) == 1;
}

bool in_allowed(const authority& a, const std::vector<std::string>& allowed) {
  for (const auto& entry : allowed) {
    authority e;
    if (parse_authority(entry, e) && e.name == a.name
        && (e.port.empty() || e.port == a.port))
      return true;
  }
  return false;
}

bool state_changing(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

} // namespace

bool host_allowed(std::string_view host,
                  const std::vector<std::string>& allowed) {
  authority a;
  if (!parse_authority(host, a))
    return false;
  return is_ip_literal(a.name) || a.name == "localhost"
         || in_allowed(a, allowed);
}

bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed) {
  auto sep = origin.find("://");
  if (sep == std::string_view::npos)
    return false; // `null`, or not an origin at all
  auto scheme = origin.substr(0, sep);
  if (scheme != "http" && scheme != "https")
    return false;
  authority page;
  authority own;
  if (!parse_authority(origin.substr(sep + 3), page)
      || !parse_authority(host, own))
    return false;
  return (page.name == own.name && page.port == own.port)
         || in_allowed(page, allowed);
}

bool refuse_foreign_request(const httplib::Request& req,
                            httplib::Response& res,
                            const http_options& opts) {
  auto hosts = req.get_header_value_count("Host");
  if (hosts > 1 || (hosts == 0 && req.version == "HTTP/1.1")) {
    send_problem(res, 400, "invalid_argument",
                 "an HTTP/1.1 request must carry exactly one Host header");
    return true;
  }
  auto host = req.get_header_value("Host");
  // HTTP/1.0 without Host: no browser sends that, so no page can.
  if (hosts == 1 && !host_allowed(host, opts.allowed_hosts)) {
    send_problem(res, 421, "misdirected_request",
                 "this gateway does not serve Host " + host
                   + " (an IP address, localhost or one of "
                     "--http-allowed-hosts)");
    return true;
  }
  if (state_changing(req.method) && req.has_header("Origin")
      && !origin_allowed(req.get_header_value("Origin"), host,
                         opts.allowed_hosts)) {
    send_problem(res, 403, "forbidden_origin",
                 "a page of " + req.get_header_value("Origin")
                   + " may not change this gateway's data");
    return true;
  }
  return false;
}

} // namespace entact::http
