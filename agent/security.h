// What an agent obeys and towards where: it sends traffic wherever it is told to, so it takes
// orders only from a controller that holds its token (or its CA's certificate) and only towards
// the targets it is allowed. Token and TLS files are read by the auth library, shared with the
// controller.
//
//   absl::StatusOr<AgentSecurity> sec = LoadAgentSecurity(cidrs, token_file, cert, key, ca);
//   builder.AddListeningPort(listen, ServerCredentials(*sec));
//   if (grpc::Status s = Authenticate(*sec, context, "Run", log); !s.ok()) return s;
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "net/address.h"
#include "net/cidr.h"

namespace salvo::agent {

struct AgentSecurity {
  // Targets a run may name; empty means loopback only (127.0.0.0/8 and ::1).
  std::vector<net::Cidr> allow_targets;
  // Required in every call's "authorization: Bearer <token>" metadata when set.
  std::string token;
  // PEM contents. TLS when cert and key are set; mutual TLS (client certificates required and
  // checked against this CA) when tls_ca is set too.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
};

// Builds the security settings from the agent's flags (file paths and CIDR texts).
absl::StatusOr<AgentSecurity> LoadAgentSecurity(const std::vector<std::string>& allow_targets,
                                                const std::string& token_file,
                                                const std::string& tls_cert,
                                                const std::string& tls_key,
                                                const std::string& tls_ca);

// The ranges in force: the configured ones, or loopback.
std::vector<net::Cidr> AllowedTargets(const AgentSecurity& security);

// Plaintext, TLS or mutual TLS, as configured.
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const AgentSecurity& security);

// OK for a caller with the right token (or when no token is set); otherwise UNAUTHENTICATED,
// and the refusal is logged with the caller and the RPC.
grpc::Status Authenticate(const AgentSecurity& security, grpc::ServerContext* context,
                          absl::string_view rpc, const std::function<void(std::string)>& log);

// "plaintext, token required; targets allowed: 127.0.0.0/8, ::1/128"
std::string Describe(const AgentSecurity& security);

}  // namespace salvo::agent
