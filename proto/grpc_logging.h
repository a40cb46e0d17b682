// gRPC writes its own diagnostics (bind failures, TLS handshake errors) to stderr in a format
// meant for gRPC developers. salvo reports those failures itself in one line, so the binaries
// silence gRPC's log unless SALVO_GRPC_LOG is set in the environment.
#pragma once

namespace salvo::v1 {

void QuietGrpcLogs();

}  // namespace salvo::v1
