// --http-token-file: the shared secret of bearer-token authentication,
// read once at start. Checked as ssh checks a private key: a secret that
// other users can read is no secret, so entactd refuses to start.

#include "entact/http_token.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entact/errc.hpp"

namespace entact {

namespace {

caf::error bad_file(const std::string& path, const std::string& what) {
  return make_error(errc::invalid_argument,
                    "--http-token-file " + path + ": " + what);
}

/// Up to `max_http_token_bytes + 1` bytes of `fd`.
std::string read_bounded(int fd) {
  std::string bytes(max_http_token_bytes + 1, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    auto n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

} // namespace

caf::expected<std::string> read_http_token_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return bad_file(path, std::strerror(errno));
  struct stat st {};
  // fstat on the open file: the checks are of the bytes read below.
  auto stat_ok = ::fstat(fd, &st) == 0;
  auto bytes = stat_ok && S_ISREG(st.st_mode) ? read_bounded(fd) : "";
  ::close(fd);
  if (!stat_ok || !S_ISREG(st.st_mode))
    return bad_file(path, "not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    return bad_file(path, std::string{"permissions "} + mode
                            + " are too open: group and others must have "
                              "no access (chmod 600)");
  }
  if (bytes.size() > max_http_token_bytes)
    return bad_file(path, "longer than "
                            + std::to_string(max_http_token_bytes)
                            + " bytes");
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!bytes.empty() && space(static_cast<unsigned char>(bytes.back())))
    bytes.pop_back();
  if (bytes.empty())
    return bad_file(path, "empty: it must hold the token");
  auto visible = [](unsigned char c) { return c > 0x20 && c < 0x7f; };
  if (!std::all_of(bytes.begin(), bytes.end(), visible))
    return bad_file(path, "the token must be visible ASCII, one line, no "
                          "spaces");
  return bytes;
}

} // namespace entact
