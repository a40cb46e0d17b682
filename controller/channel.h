// How the controller reaches its agents: plain or TLS (mutual when it has a client certificate)
// channels, and the shared token sent with every call.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace salvo::controller {

struct ControlSecurity {
  // Shared secret from --token-file; empty for none.
  std::string token;
  // PEM contents: the CA that signed the agents' certificates, and this controller's own
  // certificate and key for mutual TLS. TLS is on when tls_ca is set.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

// Reads --token-file / --tls-ca / --tls-cert / --tls-key (any may be empty). The token is the
// file's first line, without surrounding white space.
absl::StatusOr<ControlSecurity> LoadControlSecurity(const std::string& token_file,
                                                    const std::string& tls_ca,
                                                    const std::string& tls_cert,
                                                    const std::string& tls_key);

std::shared_ptr<grpc::Channel> MakeAgentChannel(const std::string& address,
                                                const ControlSecurity& security);

// Adds the token to a call.
void Authorize(grpc::ClientContext* context, const ControlSecurity& security);

}  // namespace salvo::controller
