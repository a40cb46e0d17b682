// Splitting a whole-number load (connections, later rates) across agents or threads so that the
// shares add up exactly to the total.
//
//   SplitEvenly(10, 3)            -> {4, 3, 3}
//   SplitByWeight(10, {1, 1, 2})  -> {3, 2, 5}   (largest remainder; ties go to the earlier part)
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace salvo::plan {

std::vector<uint64_t> SplitEvenly(uint64_t total, size_t parts);

// Weights must be positive; an empty weight list yields an empty split.
std::vector<uint64_t> SplitByWeight(uint64_t total, const std::vector<double>& weights);

}  // namespace salvo::plan
