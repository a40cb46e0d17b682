#include "controller/channel.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "grpcpp/grpcpp.h"

namespace salvo::controller {
namespace {

constexpr int kMaxReportBytes = 64 << 20;

}  // namespace

absl::StatusOr<ControlSecurity> LoadControlSecurity(const std::string& token_file,
                                                    const std::string& tls_ca,
                                                    const std::string& tls_cert,
                                                    const std::string& tls_key) {
  ControlSecurity s;
  const std::pair<const std::string&, std::string*> files[] = {
      {tls_ca, &s.tls_ca}, {tls_cert, &s.tls_cert}, {tls_key, &s.tls_key}};
  const char* flags[] = {"--tls-ca", "--tls-cert", "--tls-key"};
  for (int i = 0; i < 3; ++i) {
    if (files[i].first.empty()) continue;
    absl::StatusOr<std::string> text = cli::ReadFlagFile(files[i].first, flags[i]);
    if (!text.ok()) return text.status();
    *files[i].second = *text;
  }
  if (s.tls_cert.empty() != s.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!s.tls_cert.empty() && s.tls_ca.empty()) {
    return absl::InvalidArgumentError("--tls-cert needs --tls-ca to check the agents with");
  }
  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = cli::ReadFlagFile(token_file, "--token-file");
    if (!token.ok()) return token.status();
    s.token = std::string(absl::StripAsciiWhitespace(token->substr(0, token->find('\n'))));
    if (s.token.empty()) return absl::InvalidArgumentError("--token-file: the file is empty");
  }
  return s;
}

std::shared_ptr<grpc::Channel> MakeAgentChannel(const std::string& address,
                                                const ControlSecurity& security) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReportBytes);
  // Keepalive pings find a dead path even while no run is talking on it.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
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

void Authorize(grpc::ClientContext* context, const ControlSecurity& security) {
  if (!security.token.empty()) context->AddMetadata("authorization", "Bearer " + security.token);
}

}  // namespace salvo::controller
