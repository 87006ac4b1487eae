#pragma once

// Options CAF's config accepts although they do nothing in entact's
// programs: the groups of CAF modules they never load. libcaf_openssl is
// not linked (entact terminates TLS itself, see --tls-*), nor is OpenCL.
// Given silently, `--openssl.cafile=...` would look like TLS and be none.

#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/settings.hpp>

namespace entact::apps {

/// A line naming every given option of an unloaded module and what to
/// use instead; empty if there is none.
inline std::string noop_options(const caf::actor_system_config& cfg,
                                const std::string& instead) {
  std::string given;
  for (std::string group : {"openssl", "opencl"}) {
    auto i = cfg.content.find(group);
    if (i == cfg.content.end())
      continue;
    if (auto dict = caf::get_if<caf::settings>(&i->second))
      for (auto& kvp : *dict)
        given += (given.empty() ? "--" : ", --") + group + "."
                 + kvp.first;
  }
  if (given.empty())
    return {};
  return given + ": no such module is loaded, the option would do nothing"
         + (instead.empty() ? "" : " (" + instead + ")");
}

} // namespace entact::apps
