#include "host/environment.h"

#include "absl/strings/str_join.h"

namespace salvo::host {

std::string ShellLine(const std::vector<std::string>& args) {
  std::vector<std::string> words;
  for (const std::string& arg : args) {
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789-_./:=@,+%") == std::string::npos;
    if (plain) {
      words.push_back(arg);
    } else {
      // Single quotes keep everything but a single quote, which closes, escapes and reopens.
      std::string quoted = "'";
      for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      words.push_back(quoted + "'");
    }
  }
  return absl::StrJoin(words, " ");
}

}  // namespace salvo::host
