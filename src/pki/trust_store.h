// The set of trust anchors a verifier accepts (RFC 5280 §6.1.1 (d)).
//
// Built once, then shared read-only by any number of connections and threads: every const
// member is safe to call concurrently. Anchors are parsed with our own parser and indexed
// by subject DER for issuer lookup; each anchor's public key is decoded on first use and
// then cached.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/sig.h"
#include "pki/certificate.h"
#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::pki {

class TrustAnchor {
 public:
  explicit TrustAnchor(OwnedCertificate cert) : cert_(std::move(cert)) {}
  TrustAnchor(const TrustAnchor&) = delete;
  TrustAnchor& operator=(const TrustAnchor&) = delete;

  [[nodiscard]] const Certificate& cert() const { return cert_.cert(); }
  // The anchor's public key, decoded once (thread-safe) and cached, with the outcome.
  [[nodiscard]] const Result<crypto::PublicKey>& key() const;

 private:
  OwnedCertificate cert_;
  mutable std::once_flag key_once_;
  mutable Result<crypto::PublicKey> key_{std::unexpected(Error::internal("key not decoded"))};
};

class TrustStore {
 public:
  TrustStore() = default;
  TrustStore(TrustStore&&) noexcept = default;
  TrustStore& operator=(TrustStore&&) noexcept = default;

  // Adds one DER certificate. Malformed: Error{bad_certificate} naming `what`.
  [[nodiscard]] Status add_der(ByteView der, std::string_view what = "trust anchor");
  // Adds every CERTIFICATE block of a PEM text (or one DER certificate). Blocks that do
  // not decode or that our parser rejects are skipped and counted in skipped(); it fails
  // only when nothing at all could be added ("<what> contains no usable certificate").
  [[nodiscard]] Status add_pem(ByteView pem_or_der, std::string_view what);
  [[nodiscard]] Status add_file(const std::string& path);

  [[nodiscard]] static Result<TrustStore> from_file(const std::string& path);
  // The operating system's CA bundle ($SSL_CERT_FILE, else the first of
  // /etc/ssl/certs/ca-certificates.crt, /etc/pki/tls/certs/ca-bundle.crt, /etc/ssl/cert.pem),
  // loaded once per process and shared.
  [[nodiscard]] static Result<std::shared_ptr<const TrustStore>> system();

  [[nodiscard]] size_t size() const { return anchors_.size(); }
  // Entries of add_pem() input that could not be used.
  [[nodiscard]] size_t skipped() const { return skipped_; }
  // Why the first skipped entry was skipped (empty if none).
  [[nodiscard]] const std::string& first_skip_reason() const { return first_skip_reason_; }

  // Anchors whose subject is exactly `name_der` (bytewise).
  [[nodiscard]] std::span<const TrustAnchor* const> find_by_subject(ByteView name_der) const;
  // The anchor whose DER is exactly that of `cert`, if any.
  [[nodiscard]] const TrustAnchor* find_exact(const Certificate& cert) const;
  [[nodiscard]] std::span<const std::unique_ptr<TrustAnchor>> anchors() const { return anchors_; }

 private:
  static std::string_view key_of(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
  void note_skip(std::string reason);

  std::vector<std::unique_ptr<TrustAnchor>> anchors_;
  // Keys view the anchors' own DER, which never moves (held by shared_ptr).
  std::unordered_map<std::string_view, std::vector<const TrustAnchor*>> by_subject_;
  size_t skipped_ = 0;
  std::string first_skip_reason_;
};

}  // namespace tlspp::pki
