#include "systems/store_group_path.hpp"

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <stdexcept>

#include <entact/storage/store.hpp>

#include "harness/format.hpp"
#include "systems/entact_setup.hpp"

namespace bench {

namespace {

/// Counts answers until `expected` arrived.
class countdown {
public:
  explicit countdown(size_t expected) : left_(expected) {
  }

  void arrive(bool ok) {
    if (!ok)
      ++failed_;
    std::lock_guard<std::mutex> guard{mtx_};
    if (--left_ == 0)
      cv_.notify_all();
  }

  /// Waits for every answer; returns how many were errors.
  size_t wait() {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait(guard, [this] { return left_ == 0; });
    return failed_.load();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  size_t left_;
  std::atomic<size_t> failed_{0};
};

struct pass_result {
  double committer_us_per_write = 0;
  double ids_read_share = 0;
  size_t failed = 0;
};

/// One versioned update of every entity, from `version` to `version + 1`.
pass_result one_pass(entact::storage::store& st, const dataset& data,
                     entact::version_t version) {
  auto before = st.stats();
  countdown answers{data.size()};
  for (size_t i = 0; i < data.size(); ++i)
    st.commit_async({entact::write_op::update(
                      data.ids[i], version,
                      make_value(data.value_bytes, version + i))},
                    [&answers](caf::expected<std::vector<entact::record>> r) {
                      answers.arrive(static_cast<bool>(r));
                    });
  pass_result out;
  out.failed = answers.wait();
  auto after = st.stats();
  auto writes = static_cast<double>(after.batches_committed
                                    - before.batches_committed);
  auto read = static_cast<double>(after.ids_read - before.ids_read);
  auto known = static_cast<double>(after.ids_known - before.ids_known);
  out.committer_us_per_write = static_cast<double>(after.committer_cpu_ns
                                                   - before.committer_cpu_ns)
                               / 1e3 / std::max(writes, 1.0);
  out.ids_read_share = read / std::max(read + known, 1.0);
  return out;
}

} // namespace

group_path_cpu measure_store_group_path(const config& cfg,
                                        const dataset& data, bool sync,
                                        size_t partitions) {
  temp_dir dir{cfg.dir, "entact-bench"};
  preload_entact(dir.path() + "/db", data, {}, partitions);
  entact::storage::store_options opts;
  opts.path = dir.path() + "/db";
  opts.sync = sync;
  opts.max_group_ops = 50;
  opts.partitions = partitions;
  auto st = entact::storage::store::open(opts);
  if (!st)
    throw std::runtime_error("store open: " + caf::to_string(st.error()));
  auto cold = one_pass(**st, data, 1);
  auto known = one_pass(**st, data, 2);
  std::cout << "    store group path ("
            << (partitions > 1 ? std::to_string(partitions) + " partitions, "
                               : "")
            << "groups of <= 50, one queueing thread, " << data.size() << " writes per pass): committer CPU per write "
            << fmt(cold.committer_us_per_write, 2) << " us with every id read ("
            << fmt(100 * cold.ids_read_share, 0) << "% read), "
            << fmt(known.committer_us_per_write, 2)
            << " us with every id known (" << fmt(100 * known.ids_read_share, 0)
            << "% read)" << std::endl;
  return {cold.committer_us_per_write, known.committer_us_per_write,
          cold.failed + known.failed};
}

} // namespace bench
