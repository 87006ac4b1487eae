#include "cluster_prepared.hpp"

#include <algorithm>
#include <charconv>
#include <future>
#include <utility>

#include "entact/client.hpp"
#include "entact/errc.hpp"

namespace entact::apps {

namespace {

std::string text_of(const caf::error& err) {
  if (err.category() == error_category)
    return render_error(err.code(), err.category(), err.context());
  return to_string(err);
}

/// "host:port" (as ZooKeeper's member records hold it, validated when
/// read) into `opts`; false if it is not that.
bool split_address(const std::string& address, client_options& opts) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  unsigned port = 0;
  auto first = address.data() + colon + 1;
  auto last = address.data() + address.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || port == 0 || port > 65535)
    return false;
  opts.host = address.substr(0, colon);
  opts.port = static_cast<uint16_t>(port);
  return true;
}

member_prepared ask_one(const cluster::member& m,
                        std::chrono::milliseconds deadline) {
  member_prepared out{m.node_id, m.address, false, {}, {}};
  client_options opts;
  if (!split_address(m.address, opts)) {
    out.error = "its address is not host:port";
    return out;
  }
  opts.connect_timeout = deadline;
  opts.request_timeout = deadline;
  auto c = connect(std::move(opts));
  if (!c) {
    out.error = text_of(c.error());
    return out;
  }
  auto list = (*c)->prepared_transactions();
  if (!list) {
    out.error = text_of(list.error());
    return out;
  }
  out.answered = true;
  out.prepared = std::move(*list);
  std::sort(out.prepared.begin(), out.prepared.end(),
            [](const prepared_info& a, const prepared_info& b) {
              return a.created_ms < b.created_ms;
            });
  return out;
}

} // namespace

std::vector<member_prepared> ask_members(const cluster::cluster_view& view,
                                         std::chrono::milliseconds deadline) {
  std::vector<member_prepared> out;
  auto& members = view.members;
  for (size_t first = 0; first < members.size();
       first += max_members_asked_at_once) {
    auto last = std::min(members.size(), first + max_members_asked_at_once);
    std::vector<std::future<member_prepared>> asked;
    for (auto i = first; i < last; ++i)
      asked.push_back(std::async(std::launch::async, ask_one,
                                 std::cref(members[i]), deadline));
    for (auto& f : asked)
      out.push_back(f.get());
  }
  return out;
}

} // namespace entact::apps
