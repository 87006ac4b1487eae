#pragma once

#include <caf/expected.hpp>

#include "entact/errc.hpp"

namespace entact {

/// What entact's calls return: a `T`, or a `caf::error` of entact's
/// category. It *is* `caf::expected<T>` (CAF's type, not a wrapper): test it
/// with `if (!r)` before `*r` or `r->`, which CAF does not check in release
/// builds.
template <class T>
using result = caf::expected<T>;

/// A result not assigned yet. `caf::expected` has no default constructor;
/// this converts to any `result<T>`, holding `errc::unassigned`, for
/// "declare, then assign in a branch":
///
/// ```
/// entact::result<entact::record> r = entact::unassigned;
/// if (fresh)
///   r = db.create(id, value);
/// else
///   r = db.update(id, version, value);
/// ```
///
/// A branch that forgets to assign shows up as `errc::unassigned`, never as
/// a value or as another call's error.
struct unassigned_t {
  template <class T>
  operator caf::expected<T>() const {
    return make_error(errc::unassigned, "no result was assigned");
  }
};

/// See `unassigned_t`.
inline constexpr unassigned_t unassigned{};

/// The `errc` of `r`: `errc::none` if it holds a value, else the code of
/// its error. Safe on either, unlike `r.error()` on a value.
template <class T>
errc code_of(const caf::expected<T>& r) noexcept {
  return r ? errc::none : code_of(r.error());
}

} // namespace entact
