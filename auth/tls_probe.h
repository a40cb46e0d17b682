// A TLS handshake made only to learn why one failed. gRPC 1.51 reports a refused TLS handshake
// to the client as "Socket closed"; this repeats the handshake with OpenSSL and the same
// material and returns OpenSSL's reason ("certificate verify failed", "tlsv13 alert
// certificate required"), so that the controller can say what is wrong.
//
//   absl::Status why = auth::TryTlsHandshake(address, "127.0.0.1", material, absl::Seconds(3));
//   if (!why.ok()) error = absl::StrCat("refused: ", why.message());
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "net/address.h"

namespace salvo::auth {

struct TlsMaterial {
  std::string ca_pem;    // trusted CA(s) for the server's certificate
  std::string cert_pem;  // our certificate, for mutual TLS; empty for none
  std::string key_pem;
};

// Connects to `to`, handshakes as a TLS client checking the server's certificate against
// `ca_pem` and `server_name` (an IP address or a host name), and reads the server's first
// HTTP/2 frame, where a server that refuses our certificate says so. OK when the server
// accepted us; otherwise "TLS handshake failed (reason)".
absl::Status TryTlsHandshake(const net::SocketAddress& to, const std::string& server_name,
                             const TlsMaterial& material, absl::Duration timeout);

}  // namespace salvo::auth
