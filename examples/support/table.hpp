// A table of results, printed in aligned columns.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace example {

/// A column: its heading, its width (negative: left-aligned, as printf's
/// "%-12s"; a longer text is not cut), and the spaces before it (none
/// before the first column).
struct column {
  std::string heading;
  int width = 0;
  int gap = 1;
};

/// The text of one cell: a string as it is, an integer in decimal.
struct cell {
  cell(std::string s) : text(std::move(s)) {
  }
  cell(const char* s) : text(s) {
  }
  template <class T, class = std::enable_if_t<std::is_integral_v<T>>>
  cell(T x) : text(std::to_string(x)) {
  }

  /// `x` with `decimals` digits after the point, as printf's "%.*f".
  static cell fixed(double x, int decimals);

  std::string text;
};

/// Rows under column headings, printed to stdout in one go.
class table {
public:
  /// `above` is an optional line of headings over the column headings,
  /// laid out by its own widths.
  explicit table(std::vector<column> columns, std::vector<column> above = {});

  /// Adds a row, one cell per column.
  void add(std::vector<cell> cells);

  /// Prints the heading lines and the rows.
  void print() const;

private:
  std::vector<column> columns_;
  std::vector<column> above_;
  std::vector<std::vector<std::string>> rows_;
};

} // namespace example
