// The control plane's secrets, for agent and controller alike: the shared token and the TLS
// material named by --token-file, --tls-cert, --tls-key and --tls-ca, and the check of a
// presented token. Read once at start, so a bad file is a one-line error before anything runs.
//
//   absl::StatusOr<std::string> token = auth::ReadTokenFile(flags.token_file);
//   context->AddMetadata(auth::kTokenHeader, auth::BearerValue(*token));     // controller
//   if (!auth::TokenMatches(presented_header, token)) refuse();            // agent
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace salvo::auth {

// The gRPC metadata key that carries the token.
inline constexpr char kTokenHeader[] = "authorization";

// The contents of a file named by a flag, at most `max_bytes` of it: the error names the flag and
// the file, and says when it is a directory or a device (/dev/zero would otherwise be read
// forever) or larger than the limit (found after reading max_bytes + 1, never more).
inline constexpr size_t kMaxFlagFileBytes = size_t{16} << 20;
absl::StatusOr<std::string> ReadFlagFile(const std::string& path, const std::string& flag,
                                         size_t max_bytes = kMaxFlagFileBytes);

// --token-file: the token is the file's first line without surrounding white space.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// PEM contents of --tls-cert, --tls-key and --tls-ca (an empty path stays empty). A certificate
// and its key go together.
struct TlsFiles {
  std::string cert;
  std::string key;
  std::string ca;
};
absl::StatusOr<TlsFiles> ReadTlsFiles(const std::string& cert, const std::string& key,
                                      const std::string& ca);

// What the controller presents to its agents: the token and, for TLS, the CA that signed the
// agents' certificates and its own certificate and key for mutual TLS. TLS is on when tls_ca is
// set. PEM contents, not paths.
struct ControlSecurity {
  std::string token;  // empty: none
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

// The controller's --token-file / --tls-ca / --tls-cert / --tls-key (any may be empty).
absl::StatusOr<ControlSecurity> LoadControlSecurity(const std::string& token_file,
                                                    const std::string& tls_ca,
                                                    const std::string& tls_cert,
                                                    const std::string& tls_key);

// "Bearer <token>": what the controller sends in kTokenHeader.
std::string BearerValue(absl::string_view token);

// Whether a presented kTokenHeader value carries `token`. Takes time that depends only on the
// token's length, so the comparison leaks nothing about how much of a guess was right.
bool TokenMatches(absl::string_view presented, absl::string_view token);

}  // namespace salvo::auth
