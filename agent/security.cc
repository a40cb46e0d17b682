#include "agent/security.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "status/status_macros.h"

namespace salvo::agent {

absl::StatusOr<AgentSecurity> LoadAgentSecurity(const std::vector<std::string>& allow_targets,
                                                const std::string& token_file,
                                                const std::string& tls_cert,
                                                const std::string& tls_key,
                                                const std::string& tls_ca) {
  AgentSecurity s;
  for (const std::string& text : allow_targets) {
    absl::StatusOr<net::Cidr> cidr = net::Cidr::Parse(text);
    if (!cidr.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--allow-target: ", cidr.status().message()));
    }
    s.allow_targets.push_back(*cidr);
  }
  SALVO_ASSIGN_OR_RETURN(auth::TlsFiles tls, auth::ReadTlsFiles(tls_cert, tls_key, tls_ca));
  if (!tls.ca.empty() && tls.cert.empty()) {
    return absl::InvalidArgumentError("--tls-ca (mutual TLS) needs --tls-cert and --tls-key");
  }
  s.tls_cert = tls.cert;
  s.tls_key = tls.key;
  s.tls_ca = tls.ca;
  if (!token_file.empty()) {
    SALVO_ASSIGN_OR_RETURN(std::string token, auth::ReadTokenFile(token_file));
    s.token = token;
  }
  return s;
}

std::vector<net::Cidr> AllowedTargets(const AgentSecurity& security) {
  if (!security.allow_targets.empty()) return security.allow_targets;
  return net::LoopbackRanges();
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const AgentSecurity& sec) {
  if (sec.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions tls(
      sec.tls_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                         : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = sec.tls_ca;
  tls.pem_key_cert_pairs.push_back({sec.tls_key, sec.tls_cert});
  return grpc::SslServerCredentials(tls);
}

grpc::Status Authenticate(const AgentSecurity& security, grpc::ServerContext* context,
                          absl::string_view rpc, const std::function<void(std::string)>& log) {
  if (security.token.empty()) return grpc::Status::OK;
  const auto& metadata = context->client_metadata();
  const auto it = metadata.find(auth::kTokenHeader);
  const absl::string_view given = it == metadata.end()
                                      ? absl::string_view()
                                      : absl::string_view(it->second.data(), it->second.size());
  if (auth::TokenMatches(given, security.token)) return grpc::Status::OK;
  log(absl::StrCat("refused ", rpc, " from ", context->peer(),
                   it == metadata.end() ? ": no token" : ": wrong token"));
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "this agent needs its token (--token-file): missing or wrong");
}

std::string Describe(const AgentSecurity& sec) {
  std::vector<std::string> allowed;
  for (const net::Cidr& c : AllowedTargets(sec)) allowed.push_back(c.text());
  return absl::StrCat(sec.tls_cert.empty() ? "plaintext"
                      : sec.tls_ca.empty() ? "TLS"
                                           : "mutual TLS",
                      sec.token.empty() ? "" : ", token required",
                      "; targets allowed: ", absl::StrJoin(allowed, ", "));
}

}  // namespace salvo::agent
