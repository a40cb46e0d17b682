#include "controller/channel.h"

#include "auth/credentials.h"
#include "grpcpp/grpcpp.h"
#include "status/status_macros.h"

namespace salvo::controller {
namespace {

constexpr int kMaxReportBytes = 64 << 20;

}  // namespace

std::shared_ptr<grpc::Channel> MakeAgentChannel(const std::string& address,
                                                const auth::ControlSecurity& security) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReportBytes);
  // Keepalive pings find a dead path even while no run is talking on it.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  // Reconnect soon after a failed connect, so that a retried call (ProbeAgents) gets a fresh
  // attempt within a fraction of a second rather than after gRPC's default second.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
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
