#include "auth/credentials.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "status/status_macros.h"

namespace salvo::auth {

absl::StatusOr<std::string> ReadFlagFile(const std::string& path, const std::string& flag,
                                         size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": ", path, " is a directory, not a file"));
    }
#if defined(S_ISCHR) && defined(S_ISBLK)
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " is a device, not a file"));
    }
#endif
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path, ": ", std::strerror(errno)));
  }
  // istream::read turns a read error into badbit (an istreambuf_iterator would throw it).
  std::string out;
  char buffer[64 * 1024];
  while (in && out.size() <= max_bytes) {
    in.read(buffer,
            static_cast<std::streamsize>(std::min(sizeof(buffer), max_bytes + 1 - out.size())));
    out.append(buffer, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": reading ", path, " failed"));
  }
  if (out.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " is larger than ", max_bytes, " bytes"));
  }
  return out;
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  SALVO_ASSIGN_OR_RETURN(std::string text, ReadFlagFile(path, "--token-file"));
  std::string token(absl::StripAsciiWhitespace(text.substr(0, text.find('\n'))));
  if (token.empty()) return absl::InvalidArgumentError("--token-file: the file is empty");
  return token;
}

absl::StatusOr<TlsFiles> ReadTlsFiles(const std::string& cert, const std::string& key,
                                      const std::string& ca) {
  TlsFiles files;
  const struct {
    const std::string& path;
    const char* flag;
    std::string* out;
  } wanted[] = {{cert, "--tls-cert", &files.cert},
                {key, "--tls-key", &files.key},
                {ca, "--tls-ca", &files.ca}};
  for (const auto& w : wanted) {
    if (w.path.empty()) continue;
    SALVO_ASSIGN_OR_RETURN(std::string text, ReadFlagFile(w.path, w.flag));
    if (text.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(w.flag, ": ", w.path, " is empty"));
    }
    *w.out = std::move(text);
  }
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  return files;
}

std::string BearerValue(absl::string_view token) { return absl::StrCat("Bearer ", token); }

bool TokenMatches(absl::string_view presented, absl::string_view token) {
  const std::string expected = BearerValue(token);
  unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>((i < presented.size() ? presented[i] : 0) ^ expected[i]);
  }
  return diff == 0;
}

absl::StatusOr<ControlSecurity> LoadControlSecurity(const std::string& token_file,
                                                    const std::string& tls_ca,
                                                    const std::string& tls_cert,
                                                    const std::string& tls_key) {
  SALVO_ASSIGN_OR_RETURN(TlsFiles tls, ReadTlsFiles(tls_cert, tls_key, tls_ca));
  if (!tls.cert.empty() && tls.ca.empty()) {
    return absl::InvalidArgumentError("--tls-cert needs --tls-ca to check the agents with");
  }
  ControlSecurity s{"", tls.ca, tls.cert, tls.key};
  if (!token_file.empty()) {
    SALVO_ASSIGN_OR_RETURN(std::string token, ReadTokenFile(token_file));
    s.token = token;
  }
  return s;
}

}  // namespace salvo::auth
