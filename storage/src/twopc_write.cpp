#include "twopc_write.hpp"

#include <string>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "entact/errc.hpp"
#include "entact/storage/record_codec.hpp"
#include "status.hpp"

namespace entact::storage::detail {

caf::error write_twopc(rocksdb::DB& db, rocksdb::WriteBatch& batch,
                       std::string_view what) {
  auto s = batch.Put(format_key(),
                     std::string(1, static_cast<char>(twopc_format_version)));
  if (!s.ok())
    return storage_error(what, s);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db.Write(wo, &batch);
  if (s.ok())
    return {};
  if (s.IsIOError())
    return make_error(errc::in_doubt,
                      std::string{what} + " failed: " + s.ToString());
  return storage_error(what, s);
}

} // namespace entact::storage::detail
