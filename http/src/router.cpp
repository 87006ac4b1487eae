#include "router.hpp"

#include "problem.hpp"

namespace entact::http {

void router::add(const std::string& method, const std::string& path,
                 handler h) {
  // "/" alone is the root, an exact path (the console), not a prefix of all.
  auto prefix = path.size() > 1 && path.back() == '/';
  for (auto& r : routes_)
    if (r.path == path) {
      r.methods[method] = std::move(h);
      return;
    }
  routes_.push_back(route{path, prefix, {{method, std::move(h)}}});
}

const router::route* router::find(const std::string& path,
                                  std::string& tail) const {
  for (const auto& r : routes_) {
    if (!r.prefix && path == r.path)
      return &r;
    if (r.prefix && path.compare(0, r.path.size(), r.path) == 0) {
      tail = path.substr(r.path.size());
      return &r;
    }
  }
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

std::string router::name_of(const std::string& path) const {
  std::string tail;
  const auto* r = find(path, tail);
  if (r == nullptr)
    return "unmatched";
  return r->prefix ? r->path + "*" : r->path;
}

void router::dispatch(exchange& ex) const {
  const auto* r = find(ex.req.path, ex.tail);
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
