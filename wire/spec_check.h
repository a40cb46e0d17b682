// The one check of a load spec, made by the controller on the spec its flags and scenario make
// (so a user hears of a mistake before any agent is contacted) and by every agent on the spec it
// receives (a broken or hostile controller gets the same words back). It owns the rules that
// tie fields together: rr's framing, connect-rr's single request and close mode, what a rate
// paces, and the limits of plan/limits.h. Messages name the flags, as a user writes them.
//
//   SALVO_RETURN_IF_ERROR(wire::CheckLoadSpec(run_spec.load()));
#pragma once

#include "absl/status/status.h"
#include "salvo/v1/report.pb.h"

namespace salvo::wire {

// INVALID_ARGUMENT with one line for the user when `load` is not a run salvo can carry out.
// What only one side can know (the agents' addresses, this host's cores and files) is checked
// there.
absl::Status CheckLoadSpec(const v1::LoadSpec& load);

}  // namespace salvo::wire
