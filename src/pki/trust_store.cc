#include "pki/trust_store.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "crypto/pem.h"
#include "pki/pem_blocks.h"
#include "pki/public_key.h"

namespace tlspp::pki {

const Result<crypto::PublicKey>& TrustAnchor::key() const {
  std::call_once(key_once_, [this] {
    key_ = certificate_public_key(cert());
  });
  return key_;
}

void TrustStore::note_skip(std::string reason) {
  if (skipped_++ == 0) first_skip_reason_ = std::move(reason);
}

Status TrustStore::add_der(ByteView der, std::string_view what) {
  auto owned = OwnedCertificate::parse(Bytes(der.begin(), der.end()));
  if (!owned) {
    return fail(Error(ErrorKind::bad_certificate, AlertDescription::bad_certificate,
                      std::string(what) + " is not a usable certificate: " + owned.error().message));
  }
  if (find_exact(owned->cert())) return {};  // already present
  auto anchor = std::make_unique<TrustAnchor>(std::move(*owned));
  by_subject_[key_of(anchor->cert().subject)].push_back(anchor.get());
  anchors_.push_back(std::move(anchor));
  return {};
}

Status TrustStore::add_pem(ByteView pem_or_der, std::string_view what) {
  const size_t before = anchors_.size();
  if (!looks_like_pem(pem_or_der)) {
    return add_der(pem_or_der, what);
  }
  size_t number = 0;
  for (auto& block : decode_pem_certificates(pem_or_der)) {
    ++number;
    if (!block) {
      note_skip(std::string(what) + ": " + block.error().message);
      continue;
    }
    auto added = add_der(*block, std::string(what) + " block " + std::to_string(number));
    if (!added) note_skip(added.error().message);
  }
  if (anchors_.size() == before && number == 0)
    return fail(Error::config(std::string(what) + " contains no PEM certificate"));
  if (anchors_.size() == before && skipped_ > 0)
    return fail(Error::config(std::string(what) + " contains no usable certificate (" + first_skip_reason_ + ")"));
  return {};
}

Status TrustStore::add_file(const std::string& path) {
  auto data = crypto::read_file(path);
  if (!data) return fail(std::move(data.error()));
  return add_pem(*data, "CA file '" + path + "'");
}

Result<TrustStore> TrustStore::from_file(const std::string& path) {
  TrustStore store;
  TLSPP_TRY(store.add_file(path));
  return store;
}

Result<std::shared_ptr<const TrustStore>> TrustStore::system() {
  // Loaded once: parsing a bundle costs milliseconds, and every client config shares it.
  static const Result<std::shared_ptr<const TrustStore>> loaded =
      []() -> Result<std::shared_ptr<const TrustStore>> {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("SSL_CERT_FILE"); env && *env) candidates.emplace_back(env);
    for (const char* p : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                          "/etc/ssl/cert.pem"})
      candidates.emplace_back(p);
    std::error_code ec;
    for (const std::string& path : candidates) {
      if (!std::filesystem::is_regular_file(path, ec)) continue;
      auto store = from_file(path);
      if (!store) return fail(std::move(store.error()));
      return std::make_shared<const TrustStore>(std::move(*store));
    }
    return fail(Error::config("no system CA bundle found (tried $SSL_CERT_FILE and " +
                              std::to_string(candidates.size()) + " standard paths)"));
  }();
  return loaded;
}

std::span<const TrustAnchor* const> TrustStore::find_by_subject(ByteView name_der) const {
  auto it = by_subject_.find(key_of(name_der));
  if (it == by_subject_.end()) return {};
  return it->second;
}

const TrustAnchor* TrustStore::find_exact(const Certificate& cert) const {
  for (const TrustAnchor* a : find_by_subject(cert.subject))
    if (std::ranges::equal(a->cert().der, cert.der)) return a;
  return nullptr;
}

}  // namespace tlspp::pki
