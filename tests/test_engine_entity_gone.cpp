// An entity actor that stops on its own (its record could not be loaded)
// is forgotten by the router, so the next request activates a fresh one.
// The router learns of it from the entity's on_exit (it does not monitor
// entities, to save memory per resident entity).

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "entity/router.hpp"
#include "entity/unpublished.hpp"
#include "entact/errc.hpp"
#include "entact/register_types.hpp"
#include "support/wait_until.hpp"

using namespace entact;
using namespace std::chrono_literals;

namespace {

using reader_api = detail::entity_context::reader_api;

/// Fails the first load if its id starts with "bad"; then always succeeds.
reader_api::behavior_type flaky_reader(reader_api::pointer self,
                                       std::atomic<int>* loads) {
  return {
    [self, loads](detail::load_atom, const entity_id& id) -> caf::result<record> {
      if (loads->fetch_add(1) == 0 && id.rfind("bad", 0) == 0)
        return make_error(errc::storage_failure, "injected");
      return record{id, 1, "v", false};
    },
    [](read_atom, const std::vector<entity_id>&) {
      return std::vector<record>{};
    },
    [](scan_atom, const scan_request&) { return scan_page{}; },
  };
}

struct config : caf::actor_system_config {
  config() {
    register_types(*this);
  }
};

struct fixture {
  config cfg;
  std::atomic<int> loads{0};
  detail::unpublished batches;
  detail::entity_context ctx; // outlives every actor: destroyed after sys
  caf::actor_system sys{cfg};
  detail::router_actor router;

  fixture() {
    ctx.readers = sys.spawn(flaky_reader, &loads);
    ctx.max_queue = 16;
    ctx.unpublished_batches = &batches;
    router = sys.spawn(detail::router,
                       detail::router_config{100, std::chrono::hours{1}, {}},
                       &ctx);
  }

  ~fixture() {
    caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(ctx.readers, caf::exit_reason::user_shutdown);
    router = nullptr;
    ctx.readers = nullptr;
  }

  caf::expected<record> get(const entity_id& id) {
    caf::scoped_actor self{sys};
    caf::expected<record> res = make_error(errc::timeout);
    self->request(router, 5s, get_atom::value, id)
      .receive([&](record& r) { res = std::move(r); },
               [&](caf::error& err) { res = std::move(err); });
    return res;
  }

  engine_stats stats() {
    caf::scoped_actor self{sys};
    engine_stats res;
    self->request(router, 5s, stats_atom::value)
      .receive([&](engine_stats& s) { res = s; },
               [&](caf::error&) { BOOST_FAIL("stats failed"); });
    return res;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(engine_entity_gone, fixture)

BOOST_AUTO_TEST_CASE(an_entity_that_failed_to_load_is_forgotten) {
  BOOST_TEST(!get("bad/1"));
  // The router hears of it asynchronously.
  test::wait_until([&] { return stats().resident == 0; }, 5s);
  BOOST_TEST(stats().resident == 0u);
  BOOST_TEST(stats().passivations == 0u);
  auto r = get("bad/1");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->value == "v");
  BOOST_TEST(stats().activations == 2u);
  BOOST_TEST(stats().resident == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
