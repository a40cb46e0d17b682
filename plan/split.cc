#include "plan/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace salvo::plan {

std::vector<uint64_t> SplitEvenly(uint64_t total, size_t parts) {
  return SplitByWeight(total, std::vector<double>(parts, 1.0));
}

std::vector<uint64_t> SplitByWeight(uint64_t total, const std::vector<double>& weights) {
  std::vector<uint64_t> shares(weights.size(), 0);
  if (weights.empty()) return shares;
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<std::pair<double, size_t>> remainders;
  uint64_t assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(total) * weights[i] / sum;
    shares[i] = static_cast<uint64_t>(std::floor(exact));
    assigned += shares[i];
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  // Floating error can leave the floor sum a little off either way; settle it by remainders.
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; assigned < total; k = (k + 1) % remainders.size()) {
    ++shares[remainders[k].second];
    ++assigned;
  }
  for (size_t k = remainders.size(); assigned > total;) {
    k = (k == 0 ? remainders.size() : k) - 1;
    if (shares[remainders[k].second] > 0) {
      --shares[remainders[k].second];
      --assigned;
    }
  }
  return shares;
}

}  // namespace salvo::plan
