#include "controller/channel.h"

#include "auth/credentials.h"
#include "grpcpp/grpcpp.h"
#include "status/status_macros.h"

namespace salvo::controller {
namespace {

constexpr int kMaxReportBytes = 64 << 20;
// gRPC's own default: a connect (TCP and HTTP/2 handshake, TLS included) may take this long.
constexpr int kMinConnectTimeoutMs = 20000;

}  // namespace

std::shared_ptr<grpc::Channel> MakeAgentChannel(const std::string& address,
                                                const auth::ControlSecurity& security) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReportBytes);
  // Keepalive pings find a dead path even while no run is talking on it.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  // Reconnect soon after a failed connect, so that a retried call (ProbeAgents) gets a fresh
  // attempt within a fraction of a second rather than after gRPC's default second. The minimum
  // backoff is also gRPC's minimum connect timeout (a connect attempt gets the larger of it and
  // the backoff): at 100 ms, an agent further than ~100 ms away never finished its handshake
  // (issue 22). Each call's own deadline bounds the wait instead.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kMinConnectTimeoutMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!security.tls_ca.empty()) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = security.tls_ca;
    tls.pem_cert_chain = security.tls_cert;
    tls.pem_private_key = security.tls_key;
    credentials = grpc::SslCredentials(tls);
  }
  return grpc::CreateCustomChannel(address, credentials, args);
}

void Authorize(grpc::ClientContext* context, const auth::ControlSecurity& security) {
  if (!security.token.empty()) {
    context->AddMetadata(auth::kTokenHeader, auth::BearerValue(security.token));
  }
}

}  // namespace salvo::controller
