#include "auth/tls_probe.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "net/fd.h"

namespace salvo::auth {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Ctx = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using Ssl = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// OpenSSL's reason for the last failure, or `fallback`.
std::string LastError(const char* fallback) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : fallback;
}

// OpenSSL writes with write(2): a peer that already closed would raise SIGPIPE. Held back on
// this thread while the probe runs, and any such signal consumed before it is let through.
class NoSigpipe {
 public:
  NoSigpipe() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~NoSigpipe() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    const timespec now{0, 0};
    while (sigtimedwait(&pipe, nullptr, &now) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
};

absl::Status Failed(const std::string& why) {
  return absl::UnavailableError(absl::StrCat("TLS handshake failed (", why, ")"));
}

}  // namespace

absl::Status TryTlsHandshake(const net::SocketAddress& to, const std::string& server_name,
                             const TlsMaterial& material, absl::Duration timeout) {
  const NoSigpipe no_sigpipe;
  ERR_clear_error();
  Ctx ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return absl::InternalError("TLS: no client context");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  Bio ca = MemoryBio(material.ca_pem);
  int trusted = 0;
  while (X509Ptr cert{PEM_read_bio_X509(ca.get(), nullptr, nullptr, nullptr)}) {
    trusted += X509_STORE_add_cert(store, cert.get()) == 1;
  }
  ERR_clear_error();  // the read that ends the loop leaves an error behind
  if (trusted == 0) return absl::InvalidArgumentError("TLS: --tls-ca holds no certificate");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!material.cert_pem.empty()) {
    Bio cert_bio = MemoryBio(material.cert_pem), key_bio = MemoryBio(material.key_pem);
    X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    Key key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr || key == nullptr || SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS: our certificate or key: ", LastError("not usable")));
    }
  }
  static constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpnH2, sizeof(kAlpnH2));

  net::Fd fd(::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  const timeval tv = absl::ToTimeval(timeout);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (::connect(fd.get(), to.get(), to.length) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("connect ", to.ToString()));
  }
  Ssl ssl(SSL_new(ctx.get()));
  if (ssl == nullptr) return absl::InternalError("TLS: no session");
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  in6_addr ignored{};
  const bool is_ip = inet_pton(AF_INET, server_name.c_str(), &ignored) == 1 ||
                     inet_pton(AF_INET6, server_name.c_str(), &ignored) == 1;
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), 0);
    SSL_set_tlsext_host_name(ssl.get(), server_name.c_str());
  }
  SSL_set_fd(ssl.get(), fd.get());
  if (SSL_connect(ssl.get()) != 1) {
    const long verify = SSL_get_verify_result(ssl.get());
    if (verify != X509_V_OK) {
      return Failed(
          absl::StrCat("the agent's certificate: ", X509_verify_cert_error_string(verify)));
    }
    return Failed(LastError("the connection closed during the handshake"));
  }
  // With TLS 1.3 the server checks our certificate after the handshake completes on our side;
  // its verdict is the first thing we read: its HTTP/2 settings, or an alert. Read before
  // writing: a write into a connection the server already closed would hide the alert.
  char frame[64];
  if (SSL_read(ssl.get(), frame, sizeof(frame)) > 0) return absl::OkStatus();
  if (SSL_get_error(ssl.get(), -1) == SSL_ERROR_SYSCALL &&
      (errno == EAGAIN || errno == EWOULDBLOCK)) {
    // Nothing yet: a server that waits for the client's preface first.
    static constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    SSL_write(ssl.get(), kPreface, sizeof(kPreface) - 1);
    if (SSL_read(ssl.get(), frame, sizeof(frame)) > 0) return absl::OkStatus();
  }
  // gRPC closes without an alert, so the reason is inferred from what we presented: closing
  // right after a handshake that succeeded on our side is the server refusing our certificate.
  ERR_clear_error();
  return Failed(material.cert_pem.empty()
                    ? "the agent wants a client certificate for mutual TLS: give --tls-cert and "
                      "--tls-key"
                    : "the agent did not accept our certificate: is it signed by the agent's "
                      "--tls-ca?");
}

}  // namespace salvo::auth
