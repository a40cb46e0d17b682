// The C++ enums of the core and their proto twins. A C++ value v travels as proto number v + 1
// (0 is each proto enum's UNSPECIFIED); a test checks every pair of names, so the mapping needs
// no table of its own.
//
//   v1::RunSpec spec;
//   spec.set_engine(wire::ToProto(net::EngineKind::kIoUring));
//   absl::StatusOr<net::EngineKind> e = wire::FromProto(spec.engine());   // UNSPECIFIED: error
//   absl::string_view name = wire::Name(report.status());                 // "ok"
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "enums/enum_table.h"
#include "metrics/figures.h"
#include "net/engine.h"
#include "net/engine_factory.h"
#include "plan/policy.h"
#include "salvo/v1/report.pb.h"
#include "workload/schedule.h"
#include "workload/session.h"

namespace salvo::wire {

template <typename P, typename E, size_t N>
P EnumToProto(const enums::EnumTable<E, N>&, E value) {
  return static_cast<P>(static_cast<int>(value) + 1);
}

template <typename E, size_t N, typename P>
absl::StatusOr<E> EnumFromProto(const enums::EnumTable<E, N>& table, P value) {
  const int v = static_cast<int>(value) - 1;
  if (v < 0) return absl::InvalidArgumentError(absl::StrCat("the message names no ", table.kind));
  if (v >= static_cast<int>(N)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown ", table.kind, " number ", static_cast<int>(value)));
  }
  return static_cast<E>(v);
}

#define SALVO_WIRE_ENUM(Cpp, Proto, table)                                                      \
  inline v1::Proto ToProto(Cpp value) { return EnumToProto<v1::Proto>(table, value); }          \
  inline absl::StatusOr<Cpp> FromProto(v1::Proto value) { return EnumFromProto(table, value); } \
  inline absl::string_view Name(v1::Proto value) {                                              \
    absl::StatusOr<Cpp> v = FromProto(value);                                                   \
    return v.ok() ? table.Name(*v) : absl::string_view("-");                                    \
  }

SALVO_WIRE_ENUM(net::EngineKind, Engine, net::kEngineKinds)
SALVO_WIRE_ENUM(net::SendMode, SendMode, net::kSendModes)
SALVO_WIRE_ENUM(workload::Kind, Workload, workload::kKinds)
SALVO_WIRE_ENUM(workload::Arrival, Arrival, workload::kArrivals)
SALVO_WIRE_ENUM(workload::CloseMode, CloseMode, workload::kCloseModes)
SALVO_WIRE_ENUM(plan::LossPolicy, LossPolicy, plan::kLossPolicies)
SALVO_WIRE_ENUM(plan::RunStatus, RunStatus, plan::kRunStatuses)
SALVO_WIRE_ENUM(metrics::Timing, Timing, metrics::kTimingNames)

#undef SALVO_WIRE_ENUM

}  // namespace salvo::wire
