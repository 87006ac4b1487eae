#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <httplib.h>

namespace entact::http {

/// One request as a handler sees it.
struct exchange {
  const httplib::Request& req;
  httplib::Response& res;
  /// Reads the body; null for a method that carries none.
  const httplib::ContentReader* reader = nullptr;
  /// What follows a prefix route's path (for `/v1/entities/`, the id).
  std::string tail;
  /// Set by `read_body`: the request's bytes have all been taken.
  bool body_read = false;
};

using handler = std::function<void(exchange&)>;

/// The gateway's routes: a path (exact, or every path under a prefix that
/// ends in '/') with a handler per method. New endpoints (scan, watch,
/// metrics) are one `add` each.
class router {
public:
  /// Routes `method` on `path`; `path` ending in '/' is a prefix whose
  /// rest lands in `exchange::tail` (but "/" alone is exact: the root). A route with GET also takes HEAD.
  void add(const std::string& method, const std::string& path, handler h);

  /// Routes `method` on the paths under `prefix` whose request target
  /// ends in `suffix` as sent (`/watch`, not `%2Fwatch`): `exchange::tail`
  /// is what lies between them. Taken before the prefix routes, so
  /// `/v1/entities/user/1/watch` watches `user/1`, while an entity whose
  /// id ends in `/watch` stays reachable as `.../x%2Fwatch`.
  void add_suffix(const std::string& method, const std::string& prefix,
                  const std::string& suffix, handler h);

  /// Runs the request's handler: 404 for a path no route takes, 405 with
  /// `Allow` for a method its route does not take. HEAD runs GET's handler
  /// (cpp-httplib sends the headers of the answer, not its body).
  void dispatch(exchange& ex) const;

  /// The name of the route that takes `req`, for metrics: its path, with
  /// `*` after a prefix (`/v1/entities/*`, `/v1/entities/*/watch`);
  /// `unmatched` if none takes it. One of a fixed set, whatever the path.
  std::string name_of(const httplib::Request& req) const;

private:
  struct route {
    std::string path;
    bool prefix = false;
    /// Non-empty: a suffix route (`add_suffix`) under the prefix `path`.
    std::string suffix;
    std::map<std::string, handler> methods;
  };

  const route* find(const httplib::Request& req, std::string& tail) const;

  static bool takes(const route& r, const httplib::Request& req,
                    std::string& tail);

  static std::string allow_of(const route& r);

  std::vector<route> routes_;
};

} // namespace entact::http
