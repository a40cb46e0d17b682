#include "output/text_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace salvo::output {

TextTable::TextTable(std::vector<std::string> header, size_t left_columns)
    : left_columns_(left_columns) {
  rows_.push_back(std::move(header));
}

void TextTable::Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

void TextTable::Rule() { rules_.push_back(rows_.size()); }

std::string TextTable::Render() const {
  std::vector<size_t> width(rows_[0].size(), 0);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  std::string out;
  for (size_t r = 0; r < rows_.size(); ++r) {
    if (std::find(rules_.begin(), rules_.end(), r) != rules_.end()) {
      absl::StrAppend(&out, std::string(total - 2, '-'), "\n");
    }
    std::string line;
    for (size_t c = 0; c < rows_[r].size() && c < width.size(); ++c) {
      const std::string& cell = rows_[r][c];
      const std::string pad(width[c] - cell.size(), ' ');
      absl::StrAppend(&line, c == 0 ? "" : "  ", c < left_columns_ ? cell + pad : pad + cell);
    }
    // Left-aligned last columns would leave trailing blanks.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace salvo::output
