#include "entact/database.hpp"

#include <memory>

namespace entact {

std::future<caf::expected<record>> database::apply_future(write_op op) {
  auto p = std::make_shared<std::promise<caf::expected<record>>>();
  auto f = p->get_future();
  apply_async(std::move(op), [p](caf::expected<record> r) {
    p->set_value(std::move(r));
  });
  return f;
}

std::future<caf::expected<record>> database::modify_future(modify_op op) {
  auto p = std::make_shared<std::promise<caf::expected<record>>>();
  auto f = p->get_future();
  modify_async(std::move(op), [p](caf::expected<record> r) {
    p->set_value(std::move(r));
  });
  return f;
}

caf::expected<record> database::modify(const entity_id& id, std::string name,
                                       std::string arg) {
  return modify(modify_op{id, std::move(name), std::move(arg)});
}

caf::expected<watch_handle> database::watch(const entity_id&, version_t,
                                            watch_callback) {
  return make_error(errc::invalid_argument,
                    "this database does not support watches");
}

caf::expected<scan_page> database::scan(const scan_request&) {
  return make_error(errc::invalid_argument,
                    "this database does not support scans");
}

caf::expected<record> database::update(const entity_id& id, version_t expected,
                                       std::string value) {
  return apply(write_op::update(id, expected, std::move(value)));
}

caf::expected<record> database::create(const entity_id& id,
                                       std::string value) {
  return apply(write_op::create(id, std::move(value)));
}

caf::expected<record> database::erase(const entity_id& id, version_t expected) {
  return apply(write_op::erase(id, expected));
}

caf::expected<record> database::write_unconditionally(const entity_id& id,
                                                      std::string value) {
  return apply(write_op::unconditional(id, std::move(value)));
}

} // namespace entact
