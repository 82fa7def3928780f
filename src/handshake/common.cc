#include "handshake/common.h"

#include <algorithm>

#include "crypto/secret.h"
#include "pki/hostname.h"
#include "pki/public_key.h"
#include "pki/verify.h"

namespace tlspp::handshake {

std::optional<SuiteParams> tls13_suite(CipherSuite suite) {
  switch (suite) {
    case CipherSuite::TLS_AES_128_GCM_SHA256: return SuiteParams{crypto::AeadAlg::aes128gcm, crypto::HashAlg::sha256};
    case CipherSuite::TLS_AES_256_GCM_SHA384: return SuiteParams{crypto::AeadAlg::aes256gcm, crypto::HashAlg::sha384};
    case CipherSuite::TLS_CHACHA20_POLY1305_SHA256:
      return SuiteParams{crypto::AeadAlg::chacha20poly1305, crypto::HashAlg::sha256};
    default: return std::nullopt;
  }
}

std::optional<Tls12SuiteParams> tls12_suite(CipherSuite suite) {
  using A = crypto::AeadAlg;
  using H = crypto::HashAlg;
  switch (suite) {
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: return Tls12SuiteParams{A::aes128gcm, H::sha256, true};
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: return Tls12SuiteParams{A::aes256gcm, H::sha384, true};
    case CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: return Tls12SuiteParams{A::aes128gcm, H::sha256, false};
    case CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: return Tls12SuiteParams{A::aes256gcm, H::sha384, false};
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
      return Tls12SuiteParams{A::chacha20poly1305, H::sha256, true};
    case CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
      return Tls12SuiteParams{A::chacha20poly1305, H::sha256, false};
    default: return std::nullopt;
  }
}

Bytes certificate_verify_content(bool server, ByteView transcript_hash) {
  static constexpr std::string_view kServer = "TLS 1.3, server CertificateVerify";
  static constexpr std::string_view kClient = "TLS 1.3, client CertificateVerify";
  const std::string_view ctx = server ? kServer : kClient;
  Bytes content(64, 0x20);
  content.insert(content.end(), ctx.begin(), ctx.end());
  content.push_back(0);
  content.insert(content.end(), transcript_hash.begin(), transcript_hash.end());
  return content;
}

bool tls13_handshake_scheme(SignatureScheme s) {
  switch (s) {
    case SignatureScheme::ecdsa_secp256r1_sha256:
    case SignatureScheme::ecdsa_secp384r1_sha384:
    case SignatureScheme::ecdsa_secp521r1_sha512:
    case SignatureScheme::rsa_pss_rsae_sha256:
    case SignatureScheme::rsa_pss_rsae_sha384:
    case SignatureScheme::rsa_pss_rsae_sha512:
    case SignatureScheme::rsa_pss_pss_sha256:
    case SignatureScheme::rsa_pss_pss_sha384:
    case SignatureScheme::rsa_pss_pss_sha512:
    case SignatureScheme::ed25519:
      return true;
    default:
      return false;
  }
}

std::vector<SignatureScheme> schemes_for_key(crypto::KeyType type) {
  using S = SignatureScheme;
  switch (type) {
    case crypto::KeyType::ec_p256: return {S::ecdsa_secp256r1_sha256};
    case crypto::KeyType::ec_p384: return {S::ecdsa_secp384r1_sha384};
    case crypto::KeyType::ec_p521: return {S::ecdsa_secp521r1_sha512};
    case crypto::KeyType::ed25519: return {S::ed25519};
    // PKCS#1 v1.5 last: TLS 1.2 only (TLS 1.3 filters it out, RFC 8446 §4.2.3).
    case crypto::KeyType::rsa:
      return {S::rsa_pss_rsae_sha256, S::rsa_pss_rsae_sha384, S::rsa_pss_rsae_sha512,
              S::rsa_pkcs1_sha256,    S::rsa_pkcs1_sha384,    S::rsa_pkcs1_sha512};
    case crypto::KeyType::rsa_pss: return {S::rsa_pss_pss_sha256, S::rsa_pss_pss_sha384, S::rsa_pss_pss_sha512};
    default: return {};
  }
}

bool certificate_signature_accepted(pki::SignatureAlgorithm alg, std::span<const SignatureScheme> accepted) {
  using A = pki::SignatureAlgorithm;
  using S = SignatureScheme;
  const auto has = [&](std::initializer_list<S> any) {
    return std::any_of(any.begin(), any.end(),
                       [&](S s) { return std::find(accepted.begin(), accepted.end(), s) != accepted.end(); });
  };
  switch (alg) {
    case A::rsa_pkcs1_sha256: return has({S::rsa_pkcs1_sha256});
    case A::rsa_pkcs1_sha384: return has({S::rsa_pkcs1_sha384});
    case A::rsa_pkcs1_sha512: return has({S::rsa_pkcs1_sha512});
    case A::rsa_pss_sha256: return has({S::rsa_pss_rsae_sha256, S::rsa_pss_pss_sha256});
    case A::rsa_pss_sha384: return has({S::rsa_pss_rsae_sha384, S::rsa_pss_pss_sha384});
    case A::rsa_pss_sha512: return has({S::rsa_pss_rsae_sha512, S::rsa_pss_pss_sha512});
    case A::ecdsa_sha256: return has({S::ecdsa_secp256r1_sha256});
    case A::ecdsa_sha384: return has({S::ecdsa_secp384r1_sha384});
    case A::ecdsa_sha512: return has({S::ecdsa_secp521r1_sha512});
    case A::ed25519: return has({S::ed25519});
    case A::ed448: return has({S::ed448});
    default: return false;
  }
}

std::optional<CertificateChoice> choose_certificate(std::span<const LoadedCertificate> certs, std::string_view sni,
                                                    std::span<const SignatureScheme> sig_algs,
                                                    std::span<const SignatureScheme> sig_algs_cert,
                                                    bool (*usable)(SignatureScheme),
                                                    const std::function<bool(const LoadedCertificate&)>& fits) {
  const auto named = [&](const LoadedCertificate& c) {
    return std::any_of(c.dns_names.begin(), c.dns_names.end(),
                       [&](const std::string& p) { return pki::dns_name_matches(p, sni); });
  };
  const bool any_named = !sni.empty() && std::any_of(certs.begin(), certs.end(), named);
  const auto cert_algs = sig_algs_cert.empty() ? sig_algs : sig_algs_cert;
  std::optional<CertificateChoice> fallback;
  for (const LoadedCertificate& c : certs) {
    if ((any_named && !named(c)) || (fits && !fits(c))) continue;
    std::optional<SignatureScheme> scheme;
    for (auto s : schemes_for_key(c.key_type))
      if (usable(s) && std::find(sig_algs.begin(), sig_algs.end(), s) != sig_algs.end()) {
        scheme = s;
        break;
      }
    if (!scheme) continue;
    const bool chain_ok = std::all_of(c.chain_signatures.begin(), c.chain_signatures.end(), [&](pki::SignatureAlgorithm a) {
      return certificate_signature_accepted(a, cert_algs);
    });
    if (chain_ok) return CertificateChoice{&c, *scheme};
    if (!fallback) fallback = CertificateChoice{&c, *scheme};
  }
  return fallback;
}

Result<uint16_t> record_size_limit_in(std::span<const wire::Extension> exts) {
  const auto* e = wire::find_extension(exts, wire::ExtensionType::record_size_limit);
  if (!e) return uint16_t{0};
  auto limit = wire::RecordSizeLimit::decode(e->data);
  if (!limit) return fail(limit.error());
  return limit->limit;
}

uint16_t own_record_size_limit(const CommonOptions& opts, ProtocolVersion version) {
  const uint16_t max = version == ProtocolVersion::tls13 ? 16385 : 16384;
  return std::min(opts.record_size_limit, max);
}

std::string spki_sha256_hex(ByteView spki) {
  return hex_string(crypto::HashCtx::digest(crypto::HashAlg::sha256, spki).view());
}

Result<crypto::PublicKey> accept_raw_key_certificate(Io& io, const wire::Certificate& cert,
                                                     std::span<const Bytes> pins, int min_rsa_bits,
                                                     std::string_view who) {
  if (cert.certificate_list.size() != 1)
    return fail(Error{ErrorKind::bad_certificate, AlertDescription::bad_certificate,
                      std::string(who) + " sent " + std::to_string(cert.certificate_list.size()) +
                          " entries for a raw public key, which is one SubjectPublicKeyInfo"});
  const auto& entry = cert.certificate_list.front();
  if (!entry.extensions.empty())
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::unsupported_extension,
                      std::string(who) + " raw public key entry carries an unsolicited extension"});
  return accept_pinned_spki(io, entry.cert_data, pins, min_rsa_bits, who);
}

Result<crypto::PublicKey> accept_pinned_spki(Io& io, ByteView spki, std::span<const Bytes> pins, int min_rsa_bits,
                                             std::string_view who) {
  const std::string w(who);
  const auto invalid = [&](const std::string& why) {
    return Error{ErrorKind::bad_certificate, AlertDescription::bad_certificate,
                 w + " raw public key is not a valid SubjectPublicKeyInfo: " + why};
  };
  // Taken apart by pki's strict DER parser and built from its parts, as a certificate's key
  // is: OpenSSL 3.0's d2i_PUBKEY and i2d_PUBKEY would cost 70-130 us each.
  auto info = pki::parse_public_key_info(spki);
  if (!info) return fail(invalid(info.error().message));
  auto key = pki::public_key_of(*info);
  if (!key) return fail(invalid(key.error().message));
  // The pin covers the bytes received; they must also be the key's one DER encoding, so
  // that the key used to verify CertificateVerify is exactly the one hashed. The structure
  // is strict DER and the key is made from exactly its parts; an EC point must be in the
  // uncompressed form (RFC 5480 §2.2), the one a re-encoding gives. A key type that only
  // the generic decoder reads is compared with its re-encoding.
  bool canonical = true;
  switch (info->key_algorithm) {
    case pki::KeyAlgorithm::ec_p256:
    case pki::KeyAlgorithm::ec_p384:
    case pki::KeyAlgorithm::ec_p521:
      canonical = !info->public_key_bits.empty() && info->public_key_bits[0] == 0x04;
      break;
    case pki::KeyAlgorithm::ed25519:
    case pki::KeyAlgorithm::ed448:
    case pki::KeyAlgorithm::rsa:
      break;
    default: {
      const Bytes again = key->spki();
      canonical = again.size() == spki.size() && std::equal(again.begin(), again.end(), spki.begin());
    }
  }
  if (!canonical)
    return fail(Error{ErrorKind::bad_certificate, AlertDescription::bad_certificate,
                      w + " raw public key is not in canonical DER form"});
  TLSPP_TRY(pki::check_key_size(*key, w + " raw public key", min_rsa_bits));
  const auto digest = crypto::HashCtx::digest(crypto::HashAlg::sha256, spki);
  const bool pinned = std::any_of(pins.begin(), pins.end(), [&](const Bytes& p) {
    return p.size() == digest.view().size() && crypto::ct_equal(p, digest.view());
  });
  const std::string hash = hex_string(digest.view());
  if (!pinned)
    return fail(Error{ErrorKind::bad_certificate, AlertDescription::bad_certificate,
                      w + " raw public key (" + key->describe() + ", SPKI SHA-256 " + hash +
                          ") matches none of the " + std::to_string(pins.size()) + " pinned key(s)"});
  auto& neg = io.negotiated();
  neg.peer_raw_public_key = true;
  neg.peer_spki_sha256 = hash;
  neg.peer_subject.clear();
  neg.peer_key = key->describe();
  neg.peer_verified = true;
  neg.peer_certificates.assign(1, Bytes(spki.begin(), spki.end()));
  return *key;
}

Result<wire::HandshakeMessage> read_expected_message(ByteView message, std::optional<wire::HandshakeType> expected,
                                                     std::string_view state) {
  wire::Reader r(message);
  auto m = wire::read_handshake(r);
  if (!m) return fail(m.error());
  if (!expected || m->type != *expected)
    return fail(Error::unexpected(std::string(wire::handshake_type_name(m->type)) + " received in state " +
                                  std::string(state)));
  return *m;
}

std::string hex_string(ByteView b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

std::string to_string(ByteView b) { return std::string(b.begin(), b.end()); }

std::string alpn_list(const std::vector<ByteView>& names) {
  std::string s;
  for (ByteView n : names) {
    if (!s.empty()) s += ", ";
    s += to_string(n);
  }
  return s;
}

Status check_response_extensions(std::span<const wire::Extension> exts, wire::ExtensionContext ctx,
                                 std::span<const uint16_t> offered, std::string_view message) {
  for (const auto& e : exts) {
    // §4.2: a response may only carry extensions the client offered ...
    if (std::find(offered.begin(), offered.end(), e.type) == offered.end())
      return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::unsupported_extension,
                        std::string(message) + " carries extension " + std::string(wire::extension_type_name(static_cast<wire::ExtensionType>(e.type))) +
                            ", which was not offered"});
    // ... and a recognized one only in the messages the table of §4.2 allows.
    if (!wire::tls13_extension_permitted(e.type, ctx))
      return fail(Error::illegal(std::string(message) + " may not carry extension " +
                                 std::string(wire::extension_type_name(static_cast<wire::ExtensionType>(e.type)))));
  }
  return {};
}

}  // namespace tlspp::handshake
