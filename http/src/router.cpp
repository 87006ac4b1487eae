#include "router.hpp"

#include <string_view>

#include "problem.hpp"

namespace entact::http {

namespace {

/// The path of a request target as sent, before any query.
std::string_view raw_path_of(const httplib::Request& req) {
  std::string_view target = req.target;
  return target.substr(0, target.find('?'));
}

bool ends_with(std::string_view s, std::string_view end) {
  return s.size() >= end.size()
         && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

} // namespace

void router::add(const std::string& method, const std::string& path,
                 handler h) {
  // "/" alone is the root, an exact path (the console), not a prefix of all.
  auto prefix = path.size() > 1 && path.back() == '/';
  for (auto& r : routes_)
    if (r.path == path && r.suffix.empty()) {
      r.methods[method] = std::move(h);
      return;
    }
  routes_.push_back(route{path, prefix, {}, {{method, std::move(h)}}});
}

void router::add_suffix(const std::string& method, const std::string& prefix,
                        const std::string& suffix, handler h) {
  for (auto& r : routes_)
    if (r.path == prefix && r.suffix == suffix) {
      r.methods[method] = std::move(h);
      return;
    }
  routes_.push_back(route{prefix, true, suffix, {{method, std::move(h)}}});
}

bool router::takes(const route& r, const httplib::Request& req,
                   std::string& tail) {
  const auto& path = req.path;
  if (!r.prefix)
    return path == r.path;
  if (path.compare(0, r.path.size(), r.path) != 0)
    return false;
  if (r.suffix.empty()) {
    tail = path.substr(r.path.size());
    return true;
  }
  if (path.size() < r.path.size() + r.suffix.size()
      || !ends_with(path, r.suffix) || !ends_with(raw_path_of(req), r.suffix))
    return false;
  tail = path.substr(r.path.size(),
                     path.size() - r.path.size() - r.suffix.size());
  return true;
}

const router::route* router::find(const httplib::Request& req,
                                  std::string& tail) const {
  for (const auto& r : routes_)
    if (!r.suffix.empty() && takes(r, req, tail))
      return &r;
  for (const auto& r : routes_)
    if (r.suffix.empty() && takes(r, req, tail))
      return &r;
  return nullptr;
}

std::string router::allow_of(const route& r) {
  std::string allow;
  for (const auto& [method, h] : r.methods) {
    allow += allow.empty() ? method : ", " + method;
    if (method == "GET")
      allow += ", HEAD";
  }
  return allow;
}

std::string router::name_of(const httplib::Request& req) const {
  std::string tail;
  const auto* r = find(req, tail);
  if (r == nullptr)
    return "unmatched";
  return r->prefix ? r->path + "*" + r->suffix : r->path;
}

void router::dispatch(exchange& ex) const {
  const auto* r = find(ex.req, ex.tail);
  if (r == nullptr) {
    send_problem(ex.res, 404, "no_route",
                 "no resource at " + ex.req.path
                   + " (see README, HTTP API)");
    return;
  }
  auto method = ex.req.method == "HEAD" ? std::string{"GET"} : ex.req.method;
  auto i = r->methods.find(method);
  if (i == r->methods.end()) {
    send_problem(ex.res, 405, "method_not_allowed",
                 ex.req.method + " is not allowed on " + ex.req.path);
    ex.res.set_header("Allow", allow_of(*r));
    return;
  }
  i->second(ex);
}

} // namespace entact::http
