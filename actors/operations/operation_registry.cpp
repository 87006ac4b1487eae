#include "operations/operation_registry.hpp"

#include "entact/errc.hpp"
#include "entact/modify_op.hpp"

namespace entact::detail {

caf::expected<operation_registry>
operation_registry::make(const operation_map& user) {
  operation_registry result;
  result.ops_ = builtin_operations();
  for (const auto& [name, fn] : user) {
    if (auto err = validate_operation_name(name))
      return err;
    if (!fn)
      return make_error(errc::invalid_argument,
                        "operation '" + name + "' has no function");
    if (!result.ops_.emplace(name, fn).second)
      return make_error(errc::invalid_argument,
                        "operation '" + name + "' is built in");
  }
  return result;
}

const operation_fn* operation_registry::find(const std::string& name) const {
  auto i = ops_.find(name);
  return i != ops_.end() ? &i->second : nullptr;
}

} // namespace entact::detail
