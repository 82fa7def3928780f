#include "pki/verify.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "pki/der.h"
#include "pki/hostname.h"
#include "pki/oids.h"
#include "pki/public_key.h"

namespace tlspp::pki {

namespace {

Error cert_error(AlertDescription alert, std::string message) {
  return Error(ErrorKind::bad_certificate, alert, std::move(message));
}

std::string quoted(const Certificate& c) { return "'" + c.subject_string() + "'"; }

std::string_view purpose_name(Purpose p) {
  return p == Purpose::server ? "TLS server authentication" : "TLS client authentication";
}

Status check_validity(const Certificate& c, int64_t now) {
  // RFC 5280 §4.1.2.5: both bounds are inclusive.
  if (now > c.not_after)
    return fail(cert_error(AlertDescription::certificate_expired,
                           "certificate " + quoted(c) + " expired on " + der::format_time(c.not_after)));
  if (now < c.not_before)
    return fail(cert_error(AlertDescription::certificate_expired,
                           "certificate " + quoted(c) + " is not valid before " + der::format_time(c.not_before)));
  return {};
}

Status check_critical_extensions(const Certificate& c) {
  // RFC 5280 §4.2: "A certificate-using system MUST reject the certificate if it encounters
  // a critical extension it does not recognize".
  if (!c.unhandled_critical_extension.empty())
    return fail(cert_error(AlertDescription::bad_certificate,
                           "certificate " + quoted(c) + " has a critical extension tlspp does not support (" +
                               der::oid_to_string(c.unhandled_critical_extension) + ")"));
  return {};
}

bool eku_allows(const Certificate& c, Purpose purpose) {
  if (!c.ext_key_usage) return true;
  const uint8_t want = purpose == Purpose::server ? ext_key_usage::server_auth : ext_key_usage::client_auth;
  return (*c.ext_key_usage & (want | ext_key_usage::any)) != 0;
}

Status check_leaf_usage(const Certificate& c, Purpose purpose) {
  // RFC 5280 §4.2.1.3: the TLS 1.3 / ECDHE key is used to sign handshake messages.
  if (c.key_usage && !(*c.key_usage & key_usage::digital_signature))
    return fail(cert_error(AlertDescription::unsupported_certificate,
                           "certificate " + quoted(c) +
                               " may not be used for signing (its keyUsage lacks digitalSignature)"));
  // RFC 5280 §4.2.1.12: when present, the extension restricts the key to those purposes.
  if (!eku_allows(c, purpose))
    return fail(cert_error(AlertDescription::unsupported_certificate,
                           "certificate " + quoted(c) + " is not valid for " + std::string(purpose_name(purpose)) +
                               " (its extKeyUsage lacks " +
                               (purpose == Purpose::server ? "serverAuth" : "clientAuth") + ")"));
  return {};
}

// The RDNs of a Name, each as its whole encoding.
std::vector<ByteView> rdns_of(ByteView name) {
  std::vector<ByteView> out;
  der::Reader r(name);
  auto seq = r.sequence("name");
  if (!seq) return out;
  while (!seq->empty()) {
    auto rdn = seq->any("rdn");
    if (!rdn) break;
    out.push_back(rdn->encoding);
  }
  return out;
}

// RFC 5280 §7.1: a directoryName constraint covers the names that begin with its RDNs.
// Compared bytewise, as the issuer/subject chaining is.
bool name_in_subtree(ByteView name, ByteView constraint) {
  const std::vector<ByteView> n = rdns_of(name), c = rdns_of(constraint);
  if (c.size() > n.size()) return false;
  for (size_t i = 0; i < c.size(); ++i)
    if (!std::ranges::equal(n[i], c[i])) return false;
  return true;
}

bool has_email_attribute(ByteView name) {
  for (ByteView rdn : rdns_of(name)) {
    der::Reader r(rdn);
    auto set = r.expect(der::kSet, "rdn");
    if (!set) continue;
    der::Reader atvs(set->contents);
    while (!atvs.empty()) {
      auto atv = atvs.sequence("atv");
      if (!atv) break;
      auto type = atv->any("type");
      if (type && oid::is(type->contents, oid::email_address)) return true;
    }
  }
  return false;
}

std::string_view general_name_kind(GeneralName::Type t) {
  switch (t) {
    case GeneralName::Type::other_name: return "otherName";
    case GeneralName::Type::rfc822_name: return "email";
    case GeneralName::Type::dns_name: return "DNS";
    case GeneralName::Type::x400_address: return "x400Address";
    case GeneralName::Type::directory_name: return "directory";
    case GeneralName::Type::edi_party_name: return "ediPartyName";
    case GeneralName::Type::uri: return "URI";
    case GeneralName::Type::ip_address: return "IP address";
    case GeneralName::Type::registered_id: return "registeredID";
  }
  return "unknown";
}

// One name of a certificate, as name constraints see it.
struct ConstrainedName {
  GeneralName::Type type;
  ByteView value;
  std::string label() const {
    if (type == GeneralName::Type::ip_address) return ip_to_string(value);
    if (type == GeneralName::Type::directory_name) return name_to_string(value);
    return std::string(reinterpret_cast<const char*>(value.data()), value.size());
  }
};

bool in_subtree(const ConstrainedName& n, const GeneralName& base, bool excluded) {
  switch (n.type) {
    case GeneralName::Type::dns_name:
      return dns_name_in_subtree({reinterpret_cast<const char*>(n.value.data()), n.value.size()},
                                 base.text(), excluded);
    case GeneralName::Type::ip_address: return ip_in_subtree(n.value, base.value);
    case GeneralName::Type::directory_name: return name_in_subtree(n.value, base.value);
    default: return false;
  }
}

// RFC 5280 §6.1.3 (b)/(c): the names of `c` must lie in `ca`'s permitted subtrees (per name
// form that has any) and outside its excluded subtrees. Forms we do not evaluate (email,
// URI, ...) make the check fail only if `c` actually carries such names, as §4.2.1.10 allows.
Status check_name_constraints(const Certificate& ca, const Certificate& c, bool is_leaf) {
  std::vector<ConstrainedName> names;
  bool has_dns = false;
  for (const GeneralName& n : c.subject_alt_names) {
    names.push_back({n.type, n.value});
    has_dns |= n.type == GeneralName::Type::dns_name;
  }
  // The subject, when not empty, is a directoryName (§4.2.1.10).
  if (rdns_of(c.subject).size() > 0) names.push_back({GeneralName::Type::directory_name, c.subject});
  // A commonName the host name check may fall back to is constrained like a dNSName.
  if (is_leaf && !has_dns) {
    if (auto cn = c.common_name(); cn && is_valid_dns_name({reinterpret_cast<const char*>(cn->data()), cn->size()}))
      names.push_back({GeneralName::Type::dns_name, *cn});
  }
  const bool has_email = has_email_attribute(c.subject);

  auto violation = [&](const std::string& what) {
    return fail(cert_error(AlertDescription::bad_certificate,
                           "certificate " + quoted(c) + " " + what + " of CA " + quoted(ca)));
  };
  auto unsupported_form = [](GeneralName::Type t) {
    return t != GeneralName::Type::dns_name && t != GeneralName::Type::ip_address &&
           t != GeneralName::Type::directory_name;
  };
  for (const GeneralNames* subtrees : {&ca.permitted_subtrees, &ca.excluded_subtrees}) {
    for (const GeneralName& base : *subtrees) {
      if (!unsupported_form(base.type)) continue;
      bool carries = false;
      for (const ConstrainedName& n : names) carries |= n.type == base.type;
      if (base.type == GeneralName::Type::rfc822_name) carries |= has_email;
      if (carries)
        return violation("has " + std::string(general_name_kind(base.type)) +
                         " names, which tlspp cannot check against the name constraints");
    }
  }
  for (const ConstrainedName& n : names) {
    bool constrained = false, permitted = false;
    for (const GeneralName& base : ca.permitted_subtrees) {
      if (base.type != n.type) continue;
      // An iPAddress constraint of the other address family neither permits nor blocks.
      constrained = true;
      permitted |= in_subtree(n, base, false);
    }
    if (constrained && !permitted)
      return violation("names " + std::string(general_name_kind(n.type)) + " '" + n.label() +
                       "', outside the permitted subtrees");
    for (const GeneralName& base : ca.excluded_subtrees)
      if (base.type == n.type && in_subtree(n, base, true))
        return violation("names " + std::string(general_name_kind(n.type)) + " '" + n.label() +
                         "', inside the excluded subtrees");
  }
  return {};
}

class PathSearch {
 public:
  PathSearch(const TrustStore& store, std::span<const Certificate> presented, int64_t now, Purpose purpose,
             int min_rsa_bits)
      : store_(store), presented_(presented), now_(now), purpose_(purpose), min_rsa_bits_(min_rsa_bits) {}

  // Tries to complete a path from the leaf; on success anchor() is set.
  bool run() {
    path_[0] = &presented_[0];
    len_ = 1;
    in_path_.assign(presented_.size(), false);
    in_path_[0] = true;
    keys_.assign(presented_.size(), std::nullopt);
    return extend();
  }
  [[nodiscard]] const TrustAnchor* anchor() const { return anchor_; }
  [[nodiscard]] size_t length() const { return len_; }
  // The most telling failure: a specific one (bad signature, expired CA, ...) before
  // "no trusted issuer".
  [[nodiscard]] Error failure() const {
    if (specific_) return *specific_;
    if (unknown_) return *unknown_;
    return cert_error(AlertDescription::unknown_ca, "certificate " + quoted(presented_[0]) + " is not trusted");
  }

 private:
  void record(Error e) {
    std::optional<Error>& slot = e.alert == AlertDescription::unknown_ca ? unknown_ : specific_;
    if (!slot) slot = std::move(e);
  }

  bool extend() {
    const Certificate& child = *path_[len_ - 1];
    bool candidates = false;
    for (const TrustAnchor* a : store_.find_by_subject(child.issuer)) {
      candidates = true;
      if (try_issuer(a->cert(), a, 0)) return true;
    }
    for (size_t i = 1; i < presented_.size(); ++i) {
      const Certificate& cand = presented_[i];
      if (in_path_[i] || !std::ranges::equal(cand.subject, child.issuer)) continue;
      // A presented copy of an anchor was already tried as the anchor.
      if (store_.find_exact(cand)) continue;
      candidates = true;
      if (try_issuer(cand, nullptr, i)) return true;
    }
    if (!candidates) {
      if (child.self_issued())
        record(cert_error(AlertDescription::unknown_ca,
                          "self-signed certificate " + quoted(child) + " is not trusted"));
      else
        record(cert_error(AlertDescription::unknown_ca,
                          "certificate " + quoted(child) + " is not signed by a trusted authority (its issuer '" +
                              child.issuer_string() + "' is neither trusted nor among the presented certificates)"));
    }
    return false;
  }

  Status check_issuer(const Certificate& issuer, bool is_anchor) {
    TLSPP_TRY(check_critical_extensions(issuer));
    // RFC 5280 §6.1.4 (k): an intermediate must be a v3 CA certificate. A trust anchor
    // is trusted by configuration (§6.1.1 (d)), so only an explicit cA=FALSE disqualifies it.
    const bool ca_ok = is_anchor ? (!issuer.has_basic_constraints || issuer.is_ca)
                                 : (issuer.has_basic_constraints && issuer.is_ca);
    if (!ca_ok)
      return fail(cert_error(AlertDescription::bad_certificate,
                             "certificate " + quoted(issuer) + " issued " + quoted(*path_[len_ - 1]) +
                                 " but is not a CA (basicConstraints cA is not set)"));
    // §6.1.4 (n): keyCertSign when keyUsage is present.
    if (issuer.key_usage && !(*issuer.key_usage & key_usage::key_cert_sign))
      return fail(cert_error(AlertDescription::bad_certificate,
                             "CA certificate " + quoted(issuer) + " may not sign certificates (its keyUsage lacks keyCertSign)"));
    // §4.2.1.9 / §6.1.4 (l)-(m): pathLenConstraint counts the non-self-issued
    // intermediates below this CA.
    if (issuer.path_len) {
      size_t below = 0;
      for (size_t i = 1; i < len_; ++i) below += path_[i]->self_issued() ? 0 : 1;
      if (below > *issuer.path_len)
        return fail(cert_error(AlertDescription::bad_certificate,
                               "CA certificate " + quoted(issuer) + " allows " + std::to_string(*issuer.path_len) +
                                   " intermediate CA certificate(s) below it (pathLenConstraint) but the chain has " +
                                   std::to_string(below)));
    }
    // A CA restricted by extKeyUsage cannot vouch for other purposes (as Go and OpenSSL check).
    if (!eku_allows(issuer, purpose_))
      return fail(cert_error(AlertDescription::unsupported_certificate,
                             "CA certificate " + quoted(issuer) + " is restricted by extKeyUsage and not valid for " +
                                 std::string(purpose_name(purpose_))));
    TLSPP_TRY(check_validity(issuer, now_));
    return {};
  }

  const Result<crypto::PublicKey>& key_for(const TrustAnchor* anchor, size_t index) {
    if (anchor) return anchor->key();
    auto& slot = keys_[index];
    if (!slot) {
      // Key sizes are checked before a signature is verified with the key (a 16k-bit key
      // is slow to use); a refused key makes this issuer unusable.
      auto key = certificate_public_key(presented_[index]);
      if (key) {
        if (auto ok = check_key_size(*key, "certificate " + quoted(presented_[index]), min_rsa_bits_); !ok)
          key = fail(std::move(ok.error()));
      }
      slot.emplace(std::move(key));
    }
    return *slot;
  }

  bool try_issuer(const Certificate& issuer, const TrustAnchor* anchor, size_t index) {
    const Certificate& child = *path_[len_ - 1];
    if (len_ + 1 > kMaxPathLength) {
      record(cert_error(AlertDescription::bad_certificate,
                        "the chain from " + quoted(presented_[0]) + " is longer than " +
                            std::to_string(kMaxPathLength) + " certificates"));
      return false;
    }
    // Bounds the work a hostile list of same-named certificates can cause.
    if (++signature_checks_ > kMaxSignatureChecks) {
      record(cert_error(AlertDescription::bad_certificate,
                        "gave up building a chain for " + quoted(presented_[0]) + " after " +
                            std::to_string(kMaxSignatureChecks) + " signature checks"));
      return false;
    }
    // The signature first: it establishes that this candidate really is the issuer, so
    // that later complaints (expired, not a CA) are about the right certificate.
    const auto& key = key_for(anchor, index);
    if (!key) {
      record(key.error());
      return false;
    }
    if (auto s = verify_certificate_signature(child, *key, issuer.subject_string()); !s) {
      record(std::move(s.error()));
      return false;
    }
    if (auto s = check_issuer(issuer, anchor != nullptr); !s) {
      record(std::move(s.error()));
      return false;
    }
    path_[len_++] = &issuer;
    if (!anchor) in_path_[index] = true;
    if (anchor) {
      if (auto s = check_path_name_constraints(); !s) {
        record(std::move(s.error()));
      } else {
        anchor_ = anchor;
        return true;
      }
    } else if (extend()) {
      return true;
    }
    --len_;
    if (!anchor) in_path_[index] = false;
    return false;
  }

  Status check_path_name_constraints() {
    for (size_t k = 1; k < len_; ++k) {
      const Certificate& ca = *path_[k];
      if (!ca.has_name_constraints) continue;
      // §6.1.3 (b): applies to every certificate below, except self-issued intermediates.
      for (size_t i = 0; i < k; ++i) {
        if (i > 0 && path_[i]->self_issued()) continue;
        TLSPP_TRY(check_name_constraints(ca, *path_[i], i == 0));
      }
    }
    return {};
  }

  static constexpr size_t kMaxSignatureChecks = 64;

  const TrustStore& store_;
  std::span<const Certificate> presented_;
  int64_t now_;
  Purpose purpose_;
  int min_rsa_bits_;
  std::array<const Certificate*, kMaxPathLength> path_{};
  size_t len_ = 0;
  std::vector<bool> in_path_;
  std::vector<std::optional<Result<crypto::PublicKey>>> keys_;
  size_t signature_checks_ = 0;
  const TrustAnchor* anchor_ = nullptr;
  std::optional<Error> specific_;
  std::optional<Error> unknown_;
};

}  // namespace

Status verify_certificate_signature(const Certificate& cert, const crypto::PublicKey& issuer_key,
                                    std::string_view issuer_name) {
  using SA = SignatureAlgorithm;
  const crypto::KeyType kt = issuer_key.type();
  auto refuse = [&](AlertDescription alert, const std::string& why) {
    return fail(cert_error(alert, "certificate " + quoted(cert) + " " + why));
  };
  std::optional<SignatureScheme> scheme;
  bool ecdsa = false;
  switch (cert.signature_algorithm) {
    case SA::unsupported:
      return refuse(AlertDescription::unsupported_certificate,
                    "is signed with an unsupported algorithm (" + der::oid_to_string(cert.signature_algorithm_oid) + ")");
    case SA::rsa_pkcs1_sha1:
    case SA::ecdsa_sha1:
      // RFC 8446 §4.4.2.4: SHA-1 signed certificates are refused with bad_certificate.
      return refuse(AlertDescription::bad_certificate, "is signed with SHA-1, which tlspp does not accept");
    case SA::rsa_pkcs1_sha256: scheme = SignatureScheme::rsa_pkcs1_sha256; break;
    case SA::rsa_pkcs1_sha384: scheme = SignatureScheme::rsa_pkcs1_sha384; break;
    case SA::rsa_pkcs1_sha512: scheme = SignatureScheme::rsa_pkcs1_sha512; break;
    // RFC 8446 §4.2.3: PSS over an rsaEncryption key is "rsae", over an RSASSA-PSS key "pss".
    case SA::rsa_pss_sha256:
      scheme = kt == crypto::KeyType::rsa_pss ? SignatureScheme::rsa_pss_pss_sha256 : SignatureScheme::rsa_pss_rsae_sha256;
      break;
    case SA::rsa_pss_sha384:
      scheme = kt == crypto::KeyType::rsa_pss ? SignatureScheme::rsa_pss_pss_sha384 : SignatureScheme::rsa_pss_rsae_sha384;
      break;
    case SA::rsa_pss_sha512:
      scheme = kt == crypto::KeyType::rsa_pss ? SignatureScheme::rsa_pss_pss_sha512 : SignatureScheme::rsa_pss_rsae_sha512;
      break;
    case SA::ecdsa_sha256:
      scheme = SignatureScheme::ecdsa_secp256r1_sha256;
      ecdsa = true;
      break;
    case SA::ecdsa_sha384:
      scheme = SignatureScheme::ecdsa_secp384r1_sha384;
      ecdsa = true;
      break;
    case SA::ecdsa_sha512:
      scheme = SignatureScheme::ecdsa_secp521r1_sha512;
      ecdsa = true;
      break;
    case SA::ed25519: scheme = SignatureScheme::ed25519; break;
    case SA::ed448: scheme = SignatureScheme::ed448; break;
  }
  const bool is_ec_key = kt == crypto::KeyType::ec_p256 || kt == crypto::KeyType::ec_p384 ||
                         kt == crypto::KeyType::ec_p521;
  Status s;
  if (ecdsa && is_ec_key && !crypto::scheme_matches_key(*scheme, kt)) {
    // The hash does not follow the issuer's curve: no TLS 1.3 SignatureScheme, which
    // crypto::verify insists on, but X.509 allows it (RFC 5758 §3.2).
    s = crypto::verify_ecdsa_any_curve(issuer_key, *scheme, cert.tbs, cert.signature);
  } else if (!crypto::scheme_matches_key(*scheme, kt)) {
    return refuse(AlertDescription::bad_certificate,
                  "is signed with " + std::string(signature_algorithm_name(cert.signature_algorithm)) +
                      ", which the " + issuer_key.describe() + " key of '" + std::string(issuer_name) +
                      "' cannot have made");
  } else {
    s = crypto::verify(issuer_key, *scheme, cert.tbs, cert.signature);
  }
  if (!s)
    return refuse(AlertDescription::bad_certificate,
                  "has a signature that does not verify with the key of '" + std::string(issuer_name) + "'");
  return {};
}

Status check_key_size(const crypto::PublicKey& key, std::string_view who, int min_rsa_bits) {
  const auto type = key.type();
  if (type != crypto::KeyType::rsa && type != crypto::KeyType::rsa_pss) return {};
  const int bits = key.bits();
  if (bits < min_rsa_bits)
    return fail(cert_error(AlertDescription::unsupported_certificate,
                           std::string(who) + " has a " + std::to_string(bits) + "-bit RSA key; at least " +
                               std::to_string(min_rsa_bits) + " bits are required"));
  if (bits > kMaxRsaBits)
    return fail(cert_error(AlertDescription::unsupported_certificate,
                           std::string(who) + " has a " + std::to_string(bits) + "-bit RSA key; at most " +
                               std::to_string(kMaxRsaBits) + " bits are accepted"));
  return {};
}

Result<VerifiedChain> verify_server_chain(const TrustStore& store, std::span<const ByteView> chain_der,
                                          std::string_view host_name, time_t now, Purpose purpose,
                                          int min_rsa_bits) {
  if (chain_der.empty())
    return fail(cert_error(AlertDescription::bad_certificate, "the peer presented no certificate"));
  if (chain_der.size() > kMaxPresentedCertificates)
    return fail(cert_error(AlertDescription::bad_certificate,
                           "the peer presented " + std::to_string(chain_der.size()) + " certificates; at most " +
                               std::to_string(kMaxPresentedCertificates) + " are accepted"));
  std::vector<Certificate> certs;
  certs.reserve(chain_der.size());
  for (size_t i = 0; i < chain_der.size(); ++i) {
    auto c = parse_certificate(chain_der[i], i + 1);
    if (!c) return fail(std::move(c.error()));
    certs.push_back(*c);
  }

  const Certificate& leaf = certs[0];
  const int64_t t = static_cast<int64_t>(now);

  // Checks on the leaf alone come first: they are cheap and their messages are the most
  // useful (as Go's Certificate.Verify also orders them).
  TLSPP_TRY(check_critical_extensions(leaf));
  TLSPP_TRY(check_validity(leaf, t));
  if (!host_name.empty()) TLSPP_TRY(check_host_name(leaf, host_name));
  TLSPP_TRY(check_leaf_usage(leaf, purpose));

  VerifiedChain out;
  if (const TrustAnchor* self = store.find_exact(leaf)) {
    // The peer's own certificate is configured as trusted (self-signed or pinned).
    const auto& key = self->key();
    if (!key) return fail(key.error());
    TLSPP_TRY(check_key_size(*key, "certificate " + quoted(leaf), min_rsa_bits));
    out.leaf_key = *key;
    out.anchor_subject = leaf.subject_string();
    out.path_length = 1;
  } else {
    PathSearch search(store, certs, t, purpose, min_rsa_bits);
    if (!search.run()) return fail(search.failure());
    auto key = certificate_public_key(leaf);
    if (!key) return fail(std::move(key.error()));
    TLSPP_TRY(check_key_size(*key, "certificate " + quoted(leaf), min_rsa_bits));
    out.leaf_key = std::move(*key);
    out.anchor_subject = search.anchor()->cert().subject_string();
    out.path_length = search.length();
  }
  out.subject = leaf.subject_string();
  out.key_description = out.leaf_key.describe();
  out.leaf_spki = leaf.spki;
  return out;
}

}  // namespace tlspp::pki
