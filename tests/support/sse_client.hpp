#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <sys/socket.h>

namespace entact::test {

/// One Server-Sent Event as a stream carried it.
struct sse_event {
  std::string id;
  std::string type; // `event:` ("message" if absent)
  std::string data;
};

/// Reads a `text/event-stream` response (a watch) with cpp-httplib's
/// client on its own thread, splitting it into events for a test to wait
/// on. `pause` makes it stop reading (the socket's buffers fill, as with a
/// slow peer) until `resume`. Destroying it disconnects.
class sse_client {
public:
  /// `rcvbuf` > 0 fixes the socket's receive buffer (no autotuning), so a
  /// paused reader holds at most that much in its kernel.
  sse_client(uint16_t port, std::string target, httplib::Headers headers = {},
             int rcvbuf = 0)
    : cli_("127.0.0.1", port) {
    cli_.set_connection_timeout(5);
    cli_.set_read_timeout(30);
    if (rcvbuf > 0)
      cli_.set_socket_options([rcvbuf](socket_t sock) {
        ::setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
      });
    reader_ = std::thread{[this, target, headers] { run(target, headers); }};
  }

  ~sse_client() {
    disconnect();
  }

  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  /// Closes the connection (the server notices at its next write) and
  /// waits for the reading thread.
  void disconnect() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      cancelled_ = true;
      paused_ = false;
    }
    cv_.notify_all();
    cli_.stop();
    if (reader_.joinable())
      reader_.join();
  }

  void pause() {
    std::lock_guard<std::mutex> guard{mtx_};
    paused_ = true;
  }

  void resume() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      paused_ = false;
    }
    cv_.notify_all();
  }

  /// The response's status (0 until its headers arrived) and headers.
  int status() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return status_;
  }

  std::string header(const std::string& name) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = headers_.find(name);
    return i == headers_.end() ? std::string{} : i->second;
  }

  std::vector<sse_event> events() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return events_;
  }

  size_t count() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return events_.size();
  }

  /// Comment lines (`: keepalive`) seen.
  size_t comments() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return comments_;
  }

  /// True once the response has ended (the server closed it or finished).
  bool ended() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return ended_;
  }

private:
  void run(const std::string& target, const httplib::Headers& headers) {
    cli_.Get(
      target.c_str(), headers,
      [this](const httplib::Response& res) {
        std::lock_guard<std::mutex> guard{mtx_};
        status_ = res.status;
        headers_ = res.headers;
        return !cancelled_;
      },
      [this](const char* data, size_t n) { return take(data, n); });
    std::lock_guard<std::mutex> guard{mtx_};
    ended_ = true;
  }

  bool take(const char* data, size_t n) {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait(lock, [this] { return !paused_ || cancelled_; });
    if (cancelled_)
      return false;
    pending_.append(data, n);
    size_t end = 0;
    while ((end = pending_.find('\n')) != std::string::npos) {
      line(pending_.substr(0, end));
      pending_.erase(0, end + 1);
    }
    return true;
  }

  /// One line of the stream (WHATWG's rules, as far as the gateway uses
  /// them): a field, a comment, or the blank line that ends an event.
  void line(const std::string& text) {
    if (text.empty()) {
      if (!current_.data.empty() || !current_.type.empty()) {
        if (current_.type.empty())
          current_.type = "message";
        events_.push_back(current_);
      }
      current_ = {};
    } else if (text.front() == ':') {
      ++comments_;
    } else if (text.rfind("id: ", 0) == 0) {
      current_.id = text.substr(4);
    } else if (text.rfind("event: ", 0) == 0) {
      current_.type = text.substr(7);
    } else if (text.rfind("data: ", 0) == 0) {
      current_.data += text.substr(6);
    }
  }

  httplib::Client cli_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  bool paused_ = false;
  bool cancelled_ = false;
  bool ended_ = false;
  int status_ = 0;
  httplib::Headers headers_;
  std::string pending_;
  sse_event current_;
  std::vector<sse_event> events_;
  size_t comments_ = 0;
  std::thread reader_;
};

} // namespace entact::test
