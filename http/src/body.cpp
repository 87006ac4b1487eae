#include "body.hpp"

#include <memory>

#include "problem.hpp"

namespace entact::http {

bool has_body(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding"))
    return true;
  auto length = req.get_header_value("Content-Length");
  return !length.empty() && length != "0";
}

bool read_body(exchange& ex, size_t max, std::string& out) {
  out.clear();
  if (!has_body(ex.req)) {
    ex.body_read = true;
    return true;
  }
  auto refuse = [&](int status, const std::string& code,
                    const std::string& detail) {
    send_problem(ex.res, status, code, detail);
    close_after(ex.res);
    return false;
  };
  auto declared = ex.req.get_header_value<uint64_t>("Content-Length");
  auto too_large = "the body is larger than this request's limit of "
                   + std::to_string(max) + " bytes";
  if (declared > max)
    return refuse(413, "too_large", too_large);
  bool over = false;
  auto ok = (*ex.reader)([&](const char* data, size_t n) {
    if (n > max - out.size()) {
      over = true;
      return false;
    }
    out.append(data, n);
    return true;
  });
  if (over)
    return refuse(413, "too_large", too_large);
  if (!ok)
    return refuse(400, "invalid_argument",
                  "the body could not be read (truncated, or a bad chunked "
                  "or compressed encoding)");
  ex.body_read = true;
  return true;
}

void close_after(httplib::Response& res) {
  res.set_header("Connection", "close");
  if (res.body.empty())
    return;
  // cpp-httplib keeps a connection open unless writing the answer fails:
  // a content provider that sends the whole body and then reports failure
  // makes it close the connection right after the last byte.
  auto body = std::make_shared<std::string>(std::move(res.body));
  auto type = res.get_header_value("Content-Type");
  res.body.clear();
  res.headers.erase("Content-Type"); // set_content_provider adds it again
  res.set_content_provider(
    body->size(), type.c_str(),
    [body](size_t offset, size_t length, httplib::DataSink& sink) {
      sink.write(body->data() + offset, length);
      return false;
    });
}

} // namespace entact::http
