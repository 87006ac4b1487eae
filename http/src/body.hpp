#pragma once

#include <string>

#include <httplib.h>

#include "router.hpp"

namespace entact::http {

/// True if the request carries a body: RFC 9112 says a request has one
/// only with `Content-Length` (non-zero) or `Transfer-Encoding`.
bool has_body(const httplib::Request& req);

/// Reads the body into `out`, at most `max` bytes (decoded, if it came
/// compressed). A body declared larger is refused unread; one that turns
/// out larger is cut off. On refusal answers 413 (or 400 if the bytes
/// could not be read), closes the connection after the answer, and returns
/// false.
bool read_body(exchange& ex, size_t max, std::string& out);

/// Closes the connection once `res` is sent. Used whenever part of the
/// request was left unread: cpp-httplib would otherwise parse that rest as
/// the next request on the connection.
void close_after(httplib::Response& res);

} // namespace entact::http
