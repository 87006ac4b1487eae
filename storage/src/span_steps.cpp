// A batch whose ids live in several partitions (README, "Partitions").
//
// Each partition has its own WAL, so no single RocksDB write can hold the
// whole batch. The partitions live in one process, though: a crash stops
// all of them at once, so a part needs no durable vote (as a participant
// of two-phase commit across nodes does). The steps, each one queued among
// a partition's ordinary batches and written in its next group:
//
// 1. hold: every partition but the lowest (the lead) decides its part
//    against what it stores and holds the part's ids in memory: nothing
//    else may write them until step 3. Nothing is written.
// 2. lead: the lead commits its own part together with the span's intent
//    (the records every other partition decided) in one synced write. This
//    is the commit point: a crash before it leaves no trace (holds are in
//    memory), a crash after it is finished at the next open from the
//    intent.
// 3. apply: every other partition writes the records it decided and frees
//    the ids once they are durable. The caller is answered now.
// 4. forget: the lead deletes the intent.
//
// A refusal at step 1 or 2 (conflict, not found, a held id, a fence) frees
// the holds and answers it: nothing of the batch is written anywhere.

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

#include "commit_queue.hpp"
#include "group_commit.hpp"
#include "entact/errc.hpp"
#include "prepared_codec.hpp"
#include "store_impl.hpp"

namespace entact::storage {

namespace {

using outcome = caf::expected<std::vector<record>>;

// Tries of a span refused by an older span's hold (each after some span
// ended; it keeps its number, so it waits instead once it is the oldest):
// a bound for safety, never reached by spans that end.
constexpr int max_span_attempts = 1000;

/// One spanning batch on its way through its steps. Its callbacks run on
/// the partitions' committer threads, several at once: what they share is
/// under `mtx_`, and no step is queued while it is held (a closed
/// partition answers on the spot).
class span_run : public std::enable_shared_from_this<span_run> {
public:
  span_run(store::impl& st, uint64_t span, std::vector<write_op> ops,
           store::commit_callback done)
    : st_(st), span_(span), ops_(std::move(ops)), done_(std::move(done)) {
    for (const auto& op : ops_) {
      auto p = store::partition_of(op.id, st_.parts.size());
      part_of_op_.push_back(p);
      by_part_[p].push_back(op);
    }
    lead_ = by_part_.begin()->first;
  }

  /// Step 1 (or straight to 2 if the lead's part is all there is).
  void start() {
    waiting_ = by_part_.size() - 1;
    for (auto& [p, ops] : by_part_)
      if (p != lead_)
        queue(p, detail::span_role::hold, ops, {},
              [self = shared_from_this(), p = p](outcome r) {
                self->on_held(p, std::move(r));
              });
  }

private:
  void queue(size_t p, detail::span_role role, std::vector<write_op> ops,
             std::vector<record> records, store::commit_callback done,
             std::string intent_value = {}) {
    detail::pending_batch step;
    step.ops = std::move(ops);
    step.done = std::move(done);
    step.role = role;
    step.span = span_;
    step.records = std::move(records);
    if (role == detail::span_role::lead || role == detail::span_role::forget)
      step.intent_key = detail::intent_key(span_);
    step.intent_value = std::move(intent_value);
    st_.parts[p]->queue_step(std::move(step));
  }

  void on_held(size_t p, outcome r) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (r) {
        decided_[p] = std::move(*r);
        held_.push_back(p);
      } else if (p < error_part_) {
        // The lowest partition's refusal, whatever the order they came in.
        error_ = std::move(r.error());
        error_part_ = p;
      }
      if (--waiting_ > 0)
        return;
    }
    if (error_) {
      release_holds();
      if (!retry_if_span_held(error_))
        finish(error_);
      return;
    }
    tell("span-held");
    lead();
  }

  // Step 2: the lead's part and the intent, one synced write.
  void lead() {
    detail::span_intent intent{span_, {}};
    for (const auto& [p, recs] : decided_)
      intent.parts.push_back(detail::span_part{static_cast<uint32_t>(p), recs});
    auto bytes = detail::encode_intent(intent);
    if (!bytes) {
      release_holds();
      finish(std::move(bytes.error()));
      return;
    }
    queue(lead_, detail::span_role::lead, by_part_[lead_], {},
          [self = shared_from_this()](outcome r) {
            self->on_lead(std::move(r));
          },
          std::move(*bytes));
  }

  void on_lead(outcome r) {
    if (!r) {
      // The intent may have reached the disk: its ids stay held until the
      // store reopens and finishes or drops it from what is stored.
      if (code_of(r.error()) != errc::in_doubt)
        release_holds();
      if (!retry_if_span_held(r.error()))
        finish(std::move(r.error()));
      return;
    }
    decided_[lead_] = std::move(*r);
    tell("span-led");
    apply();
  }

  // Step 3: the other parts, as decided at step 1.
  void apply() {
    waiting_ = held_.size();
    for (auto p : held_)
      queue(p, detail::span_role::apply, {}, decided_[p],
            [self = shared_from_this(), p](outcome r) {
              self->on_applied(p, std::move(r));
            });
  }

  void on_applied(size_t p, outcome r) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (!r && !error_)
        error_ = make_error(
          errc::in_doubt,
          "the batch is committed (its intent is durable in partition "
            + std::to_string(lead_) + ") but partition " + std::to_string(p)
            + " failed to write its part (" + to_string(r.error())
            + "): it is finished when the store opens again");
      if (--waiting_ > 0)
        return;
    }
    if (error_) {
      finish(error_); // the intent stays, for the next open
      return;
    }
    tell("span-applied");
    // Step 4, not waited for: an intent left behind is finished again at
    // the next open, writing nothing (every record is there already).
    queue(lead_, detail::span_role::forget, {}, {}, nullptr);
    finish(in_op_order());
  }

  // Refused because an older span holds one of the ids (two spans naming
  // one id at once; a younger holder is waited for): tried again, from the
  // start and with the same number, once another span ended (one partition
  // would have ordered the two). Returns false past `max_span_attempts`:
  // then the refusal stands.
  bool retry_if_span_held(const caf::error& err) {
    if (!detail::is_span_held(err) || ++attempts_ >= max_span_attempts)
      return false;
    decided_.clear();
    held_.clear();
    error_ = caf::error{};
    error_part_ = std::numeric_limits<size_t>::max();
    st_.after_next_span([self = shared_from_this()] { self->start(); });
    return true;
  }

  // Frees the ids of the holds that succeeded (an apply without records).
  void release_holds() {
    for (auto p : held_)
      queue(p, detail::span_role::apply, {}, {}, nullptr);
  }

  std::vector<record> in_op_order() {
    std::map<size_t, size_t> next;
    std::vector<record> result;
    result.reserve(ops_.size());
    for (auto p : part_of_op_)
      result.push_back(std::move(decided_[p][next[p]++]));
    return result;
  }

  void tell(const char* step) {
    if (st_.opts.span_test_hook)
      st_.opts.span_test_hook(step);
  }

  void finish(outcome r) {
    if (done_)
      done_(std::move(r));
    st_.end_span();
  }

  store::impl& st_;
  uint64_t span_;
  std::vector<write_op> ops_;
  store::commit_callback done_;
  std::vector<size_t> part_of_op_;
  std::map<size_t, std::vector<write_op>> by_part_;
  size_t lead_ = 0;
  std::mutex mtx_;
  size_t waiting_ = 0;
  caf::error error_;
  size_t error_part_ = std::numeric_limits<size_t>::max();
  std::map<size_t, std::vector<record>> decided_;
  std::vector<size_t> held_;
  int attempts_ = 0;
};

caf::error damaged_intent(const std::string& key, size_t partition,
                          const std::string& why) {
  return make_error(errc::storage_failure,
                    "intent " + key + " in partition "
                      + std::to_string(partition) + " is damaged: " + why
                      + "; refusing to open the store (nothing was changed)");
}

} // namespace

void store::impl::commit_spanning(std::vector<write_op> ops,
                                  commit_callback done) {
  auto span = begin_span();
  if (span == 0) {
    if (done)
      done(make_error(errc::closed, "the store is closed"));
    return;
  }
  std::make_shared<span_run>(*this, span, std::move(ops), std::move(done))
    ->start();
}

caf::error store::impl::finish_intents() {
  for (size_t k = 0; k < parts.size(); ++k) {
    auto found = parts[k]->intents();
    if (!found)
      return std::move(found.error());
    for (const auto& [key, bytes] : *found) {
      auto intent = detail::decode_intent(key, bytes);
      if (!intent)
        return std::move(intent.error());
      for (const auto& part : intent->parts)
        if (part.partition >= parts.size() || part.partition == k)
          return damaged_intent(key, k, "it names partition "
                                          + std::to_string(part.partition));
      // Each record only if newer than what is stored: a part applied
      // before the crash (and maybe written over since) stays as it is.
      for (const auto& part : intent->parts)
        for (size_t first = 0; first < part.records.size();
             first += max_install_records) {
          auto last = std::min(part.records.size(),
                               first + max_install_records);
          std::vector<record> chunk{part.records.begin() + first,
                                    part.records.begin() + last};
          if (auto n = parts[part.partition]->install(chunk); !n)
            return std::move(n.error());
        }
      if (auto err = parts[k]->forget_intent(key))
        return err;
    }
  }
  return {};
}

uint64_t store::impl::begin_span() {
  std::lock_guard<std::mutex> guard{span_mtx};
  if (closing)
    return 0;
  ++spans_under_way;
  return ++last_span;
}

void store::impl::end_span() {
  std::vector<std::function<void()>> now;
  {
    std::lock_guard<std::mutex> guard{span_mtx};
    now.swap(retries);
    if (--spans_under_way == 0)
      span_cv.notify_all();
  }
  for (auto& retry : now)
    retry();
}

void store::impl::after_next_span(std::function<void()> retry) {
  std::vector<std::function<void()>> now;
  {
    std::lock_guard<std::mutex> guard{span_mtx};
    retries.push_back(std::move(retry));
    // If every span under way waits, none would end to wake them.
    if (closing || retries.size() >= spans_under_way)
      now.swap(retries);
  }
  for (auto& r : now)
    r();
}

void store::impl::stop_spans() {
  std::vector<std::function<void()>> now;
  {
    std::lock_guard<std::mutex> guard{span_mtx};
    closing = true;
    now.swap(retries);
  }
  for (auto& retry : now)
    retry();
  std::unique_lock<std::mutex> guard{span_mtx};
  span_cv.wait(guard, [this] { return spans_under_way == 0; });
}

bool store::impl::on_committer() const {
  return std::any_of(parts.begin(), parts.end(),
                     [](const auto& p) { return p->on_committer(); });
}

} // namespace entact::storage
