#include "support/table.hpp"

#include <cstdio>

namespace example {

namespace {

// One line: each text padded to its column's width, after the column's gap.
std::string layout(const std::vector<column>& columns,
                   const std::vector<std::string>& texts) {
  std::string line;
  for (size_t i = 0; i < columns.size() && i < texts.size(); ++i) {
    auto& col = columns[i];
    auto& text = texts[i];
    if (i > 0)
      line.append(static_cast<size_t>(col.gap), ' ');
    auto width = static_cast<size_t>(col.width < 0 ? -col.width : col.width);
    auto pad = text.size() < width ? width - text.size() : 0;
    if (col.width > 0)
      line.append(pad, ' ');
    line += text;
    if (col.width < 0)
      line.append(pad, ' ');
  }
  return line;
}

std::vector<std::string> headings(const std::vector<column>& columns) {
  std::vector<std::string> texts;
  for (auto& col : columns)
    texts.push_back(col.heading);
  return texts;
}

} // namespace

cell cell::fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
  return cell{std::string{buf}};
}

table::table(std::vector<column> columns, std::vector<column> above)
  : columns_(std::move(columns)), above_(std::move(above)) {
}

void table::add(std::vector<cell> cells) {
  std::vector<std::string> texts;
  for (auto& c : cells)
    texts.push_back(std::move(c.text));
  rows_.push_back(std::move(texts));
}

void table::print() const {
  if (!above_.empty())
    std::printf("%s\n", layout(above_, headings(above_)).c_str());
  std::printf("%s\n", layout(columns_, headings(columns_)).c_str());
  for (auto& row : rows_)
    std::printf("%s\n", layout(columns_, row).c_str());
}

} // namespace example
