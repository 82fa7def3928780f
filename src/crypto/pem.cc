// Certificate and key files: PEM (RFC 7468) or DER. Used at configuration load time only.
#include "crypto/pem.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

#include "crypto/secret.h"

namespace tlspp::crypto {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

bool is_certificate_der(ByteView der) {
  if (der.empty() || der.size() > LONG_MAX) return false;
  const unsigned char* p = der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  const bool ok = cert != nullptr && p == der.data() + der.size();
  X509_free(cert);
  if (!ok) ERR_clear_error();
  return ok;
}


}  // namespace

// RFC 7468 §3 / RFC 4648 §4: standard alphabet, whitespace ignored, '=' padding only at
// the end, and the unused bits of a padded group zero (§3.5, canonical encoding).
Result<Bytes> base64_decode(std::string_view in) {
  Bytes out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  size_t symbols = 0, padding = 0;
  for (char c : in) {
    if (is_space(c)) continue;
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    const int v = base64_value(c);
    if (v < 0) return fail(Error::config("contains a character that is not base64"));
    if (padding) return fail(Error::config("has base64 data after '=' padding"));
    ++symbols;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (symbols % 4 != 0 || padding > 2) return fail(Error::config("has a base64 length that is not a multiple of 4"));
  if (bits > 0 && acc != 0) return fail(Error::config("has non-canonical base64 padding bits"));
  return out;
}

Result<Bytes> read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return fail(Error::config("cannot open '" + path + "': " + std::strerror(errno)));
  }
  Bytes out;
  uint8_t buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  // The buffer may have held part of a private key.
  secure_wipe(buf, sizeof buf);
  if (failed) {
    secure_wipe(out.data(), out.size());
    return fail(Error::config("cannot read '" + path + "': " + std::strerror(err)));
  }
  return out;
}

Result<std::vector<Bytes>> parse_certificates(ByteView pem_or_der, std::string_view what) {
  const std::string w(what);
  const std::string_view text(reinterpret_cast<const char*>(pem_or_der.data()), pem_or_der.size());
  if (pem_or_der.empty()) return fail(Error::config(w + ": is empty, no certificate found"));

  static constexpr std::string_view kBegin = "-----BEGIN ";
  if (text.find(kBegin) == std::string_view::npos) {
    // Not PEM: the whole input must be one DER certificate.
    if (!is_certificate_der(pem_or_der)) {
      return fail(Error::config(w + ": not a PEM or DER certificate"));
    }
    return std::vector<Bytes>{Bytes(pem_or_der.begin(), pem_or_der.end())};
  }

  std::vector<Bytes> certs;
  size_t pos = 0;
  size_t block = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    const size_t label_start = pos + kBegin.size();
    const size_t label_end = text.find("-----", label_start);
    if (label_end == std::string_view::npos) {
      return fail(Error::config(w + ": malformed PEM header line"));
    }
    const std::string_view label = text.substr(label_start, label_end - label_start);
    const std::string end_line = "-----END " + std::string(label) + "-----";
    const size_t body_start = label_end + 5;
    const size_t end = text.find(end_line, body_start);
    if (end == std::string_view::npos) {
      return fail(Error::config(w + ": PEM block '" + std::string(label) + "' has no '" + end_line + "' line"));
    }
    pos = end + end_line.size();
    // Other blocks (a private key in a combined file, parameters) are not ours to read.
    if (label != "CERTIFICATE") continue;
    ++block;
    auto decoded = base64_decode(text.substr(body_start, end - body_start));
    if (!decoded) {
      return fail(Error::config(w + ": certificate block " + std::to_string(block) + " has invalid base64 (" +
                                decoded.error().message + ")"));
    }
    Bytes der = std::move(*decoded);
    if (!is_certificate_der(der)) {
      return fail(Error::config(w + ": block " + std::to_string(block) + " is not a valid X.509 certificate"));
    }
    certs.push_back(std::move(der));
  }
  if (certs.empty()) return fail(Error::config(w + ": no CERTIFICATE block found"));
  return certs;
}

Result<std::vector<Bytes>> load_certificates(const std::string& path) {
  auto data = read_file(path);
  if (!data) return fail(std::move(data.error()));
  return parse_certificates(*data, "certificate file '" + path + "'");
}

Result<PrivateKey> load_private_key(const std::string& path) {
  auto data = read_file(path);
  if (!data) return fail(std::move(data.error()));
  auto key = PrivateKey::parse(*data, "key file '" + path + "'");
  secure_wipe(data->data(), data->size());
  return key;
}

std::string pem_encode(std::string_view label, ByteView der) {
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  std::string line;
  for (size_t i = 0; i < der.size(); i += 3) {
    const size_t n = std::min<size_t>(3, der.size() - i);
    uint32_t v = static_cast<uint32_t>(der[i]) << 16;
    if (n > 1) v |= static_cast<uint32_t>(der[i + 1]) << 8;
    if (n > 2) v |= der[i + 2];
    line += kBase64[(v >> 18) & 63];
    line += kBase64[(v >> 12) & 63];
    line += n > 1 ? kBase64[(v >> 6) & 63] : '=';
    line += n > 2 ? kBase64[v & 63] : '=';
    // RFC 7468 §2: lines of exactly 64 characters except the last.
    if (line.size() == 64) {
      out += line;
      out += '\n';
      line.clear();
    }
  }
  if (!line.empty()) {
    out += line;
    out += '\n';
  }
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

}  // namespace tlspp::crypto
