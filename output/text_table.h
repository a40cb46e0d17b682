// A plain text table for the terminal: the first `left_columns` columns left-aligned, the rest
// right-aligned, with optional horizontal rules. Every table salvo prints goes through it.
//
//   TextTable t({"agent", "conns", "MB/s"});
//   t.Add({"127.0.0.1:7100", "10", "17.4"});
//   t.Rule();
//   t.Add({"total", "10", "17.4"});
//   std::string text = t.Render();
#pragma once

#include <string>
#include <vector>

namespace salvo::output {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header, size_t left_columns = 1);
  void Add(std::vector<std::string> row);
  // A rule of dashes before the next row.
  void Rule();
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> rules_;
  size_t left_columns_;
};

}  // namespace salvo::output
