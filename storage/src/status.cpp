#include "status.hpp"

#include <string>

#include <rocksdb/status.h>

#include "entact/errc.hpp"

namespace entact::storage::detail {

caf::error storage_error(std::string_view what, const rocksdb::Status& s) {
  std::string detail{what};
  detail += ": ";
  detail += s.ToString();
  return make_error(errc::storage_failure, std::move(detail));
}

} // namespace entact::storage::detail
