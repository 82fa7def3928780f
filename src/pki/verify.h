// Certificate chain verification for TLS (RFC 5280 §6 path validation, RFC 6125 identity,
// RFC 8446 §4.4.2.4 alerts).
//
// Alerts, and why (RFC 8446 §6.2 defines them; OpenSSL, Go and rustls agree except where noted):
//   malformed certificate, bad signature in the chain, issuer that is not a CA or lacks
//   keyCertSign, pathLen exceeded, name-constraint violation, unknown critical extension,
//   SHA-1/MD5 signature, host name mismatch, chain too long     -> bad_certificate
//   expired, and also not yet valid                             -> certificate_expired
//     (RFC 8446 §6.2: "A certificate has expired or is not currently valid"; Go and
//      rustls do the same; OpenSSL sends bad_certificate for not-yet-valid.)
//   no path to a trust anchor, self-signed leaf not trusted     -> unknown_ca
//   leaf keyUsage/extKeyUsage forbids the purpose, leaf key or
//   signature algorithm we cannot use                           -> unsupported_certificate
// Every error is ErrorKind::bad_certificate with one sentence naming the certificate by
// its subject ("certificate 'CN=x, O=y' expired on 2024-01-01 00:00:00 UTC").
#pragma once

#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <string_view>

#include "crypto/sig.h"
#include "pki/certificate.h"
#include "pki/trust_store.h"
#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::pki {

// What the leaf certificate must be good for (RFC 5280 §4.2.1.12 id-kp-serverAuth /
// id-kp-clientAuth).
enum class Purpose : uint8_t { server, client };

// At most this many certificates from the leaf to the trust anchor, both included.
inline constexpr size_t kMaxPathLength = 10;
// Presented lists longer than this are refused outright.
inline constexpr size_t kMaxPresentedCertificates = 32;
// RSA key sizes (bits) a presented certificate may have: below the minimum (default 2048,
// lowered to at most kMinRsaBitsFloor for legacy sites) a key is too weak; above
// kMaxRsaBits it costs a verifier too much time. Both are unsupported_certificate.
inline constexpr int kDefaultMinRsaBits = 2048;
inline constexpr int kMinRsaBitsFloor = 1024;
inline constexpr int kMaxRsaBits = 8192;

// Whether `key` (of the certificate named `who`) is an acceptable size: RSA keys within
// [min_rsa_bits, kMaxRsaBits]; other key types have fixed sizes.
[[nodiscard]] Status check_key_size(const crypto::PublicKey& key, std::string_view who, int min_rsa_bits);

struct VerifiedChain {
  crypto::PublicKey leaf_key;    // verifies CertificateVerify / ServerKeyExchange
  std::string subject;           // the leaf's subject, "CN=localhost, O=tlspp test"
  std::string key_description;   // leaf_key.describe(): "ECDSA P-256"
  ByteView leaf_spki;            // the leaf's SubjectPublicKeyInfo as encoded: a view into chain_der[0]
  std::string anchor_subject;    // the trust anchor that vouched for it
  size_t path_length = 0;        // certificates from leaf to anchor inclusive (1: leaf trusted itself)
};

// Verifies a peer's certificate list (chain_der[0] is the end-entity certificate):
//  - every presented certificate parses (RFC 5280 profile, strict DER);
//  - the leaf is within its validity period at `now`, has no unknown critical extension,
//    its keyUsage (if present) allows digitalSignature and its extKeyUsage (if present)
//    allows `purpose` (or anyExtendedKeyUsage);
//  - when host_name is not empty, the leaf matches it (check_host_name); an empty
//    host_name skips the identity check, which must be the caller's explicit choice;
//  - the RSA keys of the presented certificates are within [min_rsa_bits, kMaxRsaBits];
//  - a path leads from the leaf through presented certificates (any order; unused extras
//    are ignored) to a certificate of `store`, each certificate signed by the next. A leaf
//    that is itself in the store is trusted as it is. Issuers must be CAs (basicConstraints
//    cA, keyCertSign when keyUsage is present), within validity, respect pathLen and name
//    constraints, and, when they carry extKeyUsage, allow `purpose`. When several paths
//    exist, the first complete one wins; when none does, the most specific failure is
//    reported.
[[nodiscard]] Result<VerifiedChain> verify_server_chain(const TrustStore& store,
                                                        std::span<const ByteView> chain_der,
                                                        std::string_view host_name, time_t now,
                                                        Purpose purpose = Purpose::server,
                                                        int min_rsa_bits = kDefaultMinRsaBits);

// Whether `cert` carries a valid signature by `issuer_key` over its tbsCertificate, using
// the signature algorithm the certificate names. `issuer_name` is used in messages.
// SHA-1 and MD5 signatures are refused (RFC 8446 §4.4.2.4).
[[nodiscard]] Status verify_certificate_signature(const Certificate& cert,
                                                  const crypto::PublicKey& issuer_key,
                                                  std::string_view issuer_name);

}  // namespace tlspp::pki
