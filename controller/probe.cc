#include "controller/probe.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/tls_probe.h"
#include "controller/channel.h"
#include "grpcpp/grpcpp.h"
#include "net/address.h"
#include "salvo/v1/agent.grpc.pb.h"
#include "wire/protocol.h"

namespace salvo::controller {
namespace {

constexpr absl::Duration kInfoTimeout = absl::Seconds(3);
constexpr int kClockSamples = 8;
// A first connect can fail spuriously: gRPC 1.51 reads errno after other calls following a
// nonblocking connect(), so an in-progress connect is now and then reported as "No such file or
// directory". An agent counts as unreachable only after this many attempts, spaced past the
// channel's reconnect backoff (100 ms); a refused agent still fails in well under a second.
constexpr int kInfoAttempts = 3;
constexpr absl::Duration kInfoRetryAfter = absl::Milliseconds(150);

// NTP-style: several Clock round trips, keeping the one with the smallest round trip, whose
// midpoint is the best estimate of when the agent read its clock.
absl::Status MeasureClock(v1::Agent::Stub& stub, const auth::ControlSecurity& security,
                          driver::AgentProbe* p) {
  int64_t best_rtt = -1;
  for (int i = 0; i < kClockSamples; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + kInfoTimeout));
    Authorize(&ctx, security);
    v1::ClockResponse clock;
    const int64_t t0 = absl::GetCurrentTimeNanos();
    const grpc::Status s = stub.Clock(&ctx, v1::ClockRequest(), &clock);
    const int64_t t3 = absl::GetCurrentTimeNanos();
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    const int64_t rtt = t3 - t0;
    if (best_rtt < 0 || rtt < best_rtt) {
      best_rtt = rtt;
      p->clock_offset_ms = static_cast<double>(clock.agent_unix_ns() - (t0 + t3) / 2) / 1e6;
      p->clock_rtt_ms = static_cast<double>(rtt) / 1e6;
      p->clock_error_ms = p->clock_rtt_ms / 2;
    }
  }
  return absl::OkStatus();
}

// OK when a TLS handshake with the agent succeeds, or when it cannot be tried (the agent is
// not there at all): only a handshake that was refused is news.
absl::Status DiagnoseTls(const std::string& agent, const auth::ControlSecurity& security) {
  std::string host;
  uint16_t port = 0;
  if (!net::SplitHostPort(agent, &host, &port).ok()) return absl::OkStatus();
  absl::StatusOr<net::SocketAddress> to = net::ResolveHostPort(agent);
  if (!to.ok()) return absl::OkStatus();
  const absl::Status s = auth::TryTlsHandshake(
      *to, host, {security.tls_ca, security.tls_cert, security.tls_key}, kInfoTimeout);
  return absl::StartsWith(s.message(), "TLS handshake failed") ? s : absl::OkStatus();
}

void ProbeOne(const std::string& agent, const auth::ControlSecurity& security,
              driver::AgentProbe* p) {
  p->agent = agent;
  auto stub = v1::Agent::NewStub(MakeAgentChannel(agent, security));
  grpc::Status s;
  for (int attempt = 1; attempt <= kInfoAttempts; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + kInfoTimeout));
    Authorize(&ctx, security);
    s = stub->Info(&ctx, v1::InfoRequest(), &p->info);
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE || attempt == kInfoAttempts) break;
    absl::SleepFor(kInfoRetryAfter);
  }
  if (!s.ok()) {
    p->refused = s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                 s.error_code() == grpc::StatusCode::PERMISSION_DENIED;
    p->error = p->refused ? absl::StrCat("agent ", agent, " refused us: ", s.error_message())
                          : absl::StrCat("agent ", agent, " is unreachable: ", s.error_message());
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE && !security.tls_ca.empty()) {
      // gRPC says "Socket closed" for a refused handshake; find out which side refused and why.
      if (absl::Status tls = DiagnoseTls(agent, security); !tls.ok()) {
        p->error = absl::StrCat("agent ", agent, " refused: ", tls.message());
        p->refused = true;
      }
    }
    return;
  }
  p->reachable = true;
  if (absl::Status v = wire::CheckProtocol(p->info.protocol_major(), agent); !v.ok()) {
    p->error = std::string(v.message());
    return;
  }
  if (absl::Status c = MeasureClock(*stub, security, p); !c.ok()) {
    p->error = absl::StrCat("agent ", agent, " did not answer its clock probe: ", c.message());
  }
}

}  // namespace

std::vector<driver::AgentProbe> ProbeAgents(const std::vector<std::string>& agents,
                                            const auth::ControlSecurity& security) {
  std::vector<driver::AgentProbe> probes(agents.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < agents.size(); ++i) {
    threads.emplace_back([&, i] { ProbeOne(agents[i], security, &probes[i]); });
  }
  for (std::thread& t : threads) t.join();
  return probes;
}

}  // namespace salvo::controller
