// Early-return helpers for absl::Status and absl::StatusOr. Abseil 20220623 ships none.
//
//   absl::StatusOr<Config> Load(absl::string_view path) {
//     SALVO_RETURN_IF_ERROR(CheckReadable(path));
//     SALVO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     return Parse(text);
//   }
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SALVO_RETURN_IF_ERROR(expr)                                 \
  do {                                                              \
    if (absl::Status _salvo_status = (expr); !_salvo_status.ok()) { \
      return _salvo_status;                                         \
    }                                                               \
  } while (0)

#define SALVO_STATUS_CONCAT_INNER(a, b) a##b
#define SALVO_STATUS_CONCAT(a, b) SALVO_STATUS_CONCAT_INNER(a, b)

#define SALVO_ASSIGN_OR_RETURN(lhs, expr) \
  SALVO_ASSIGN_OR_RETURN_IMPL(SALVO_STATUS_CONCAT(_salvo_statusor_, __LINE__), lhs, expr)

#define SALVO_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr)   \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
