// Pieces both TLS 1.3 state machines use.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/sig.h"
#include "handshake/config_impl.h"
#include "handshake/io.h"
#include "pki/certificate.h"
#include "tlspp/types.h"
#include "wire/extensions.h"
#include "wire/messages.h"

namespace tlspp::handshake {

struct SuiteParams {
  crypto::AeadAlg aead;
  crypto::HashAlg hash;
};
// The AEAD and hash of a TLS 1.3 suite; nullopt for anything else.
[[nodiscard]] std::optional<SuiteParams> tls13_suite(CipherSuite suite);

// A TLS 1.2 ECDHE AEAD suite (RFC 5289, RFC 7905): its AEAD, PRF hash and the key type
// that authenticates it.
struct Tls12SuiteParams {
  crypto::AeadAlg aead;
  crypto::HashAlg hash;
  bool ecdsa;  // ECDHE_ECDSA (ECDSA or Ed25519 keys, RFC 8422 §2) rather than ECDHE_RSA
};
[[nodiscard]] std::optional<Tls12SuiteParams> tls12_suite(CipherSuite suite);

// RFC 8446 §4.4.3: the content covered by a CertificateVerify signature: 64 spaces, the
// context string, a zero byte, the transcript hash.
[[nodiscard]] Bytes certificate_verify_content(bool server, ByteView transcript_hash);

// Whether a scheme may sign a TLS 1.3 CertificateVerify (RFC 8446 §4.2.3: not PKCS#1 v1.5,
// not SHA-1).
[[nodiscard]] bool tls13_handshake_scheme(SignatureScheme s);

// Signature schemes usable with a key, in our preference order.
[[nodiscard]] std::vector<SignatureScheme> schemes_for_key(crypto::KeyType type);

// Whether a certificate signed with `alg` satisfies a peer's list of signature schemes for
// certificates (RFC 8446 §4.2.3: signature_algorithms_cert, or signature_algorithms when
// that is absent). Schemes name the hash and key type; ECDSA's curve is the signer's.
[[nodiscard]] bool certificate_signature_accepted(pki::SignatureAlgorithm alg, std::span<const SignatureScheme> accepted);

struct CertificateChoice {
  const LoadedCertificate* certificate = nullptr;
  SignatureScheme scheme{};  // what the handshake signature will use
};
// RFC 8446 §4.4.2.2: picks the server's certificate. Among those whose names match `sni`
// (all of them when none does, or without SNI), in configured order, the first whose key
// can sign with a scheme in `sig_algs` (filtered by `usable`) and whose chain is signed
// with algorithms in `sig_algs_cert` (or `sig_algs` when the client sent no
// signature_algorithms_cert); failing that, the first whose key can sign at all (the RFC
// lets the server send a chain of its choice). Nothing when no key can sign. `fits`, when
// given, rules certificates out beforehand (TLS 1.2: an ECDSA key on a curve the client
// does not list, RFC 8422 §5.3).
[[nodiscard]] std::optional<CertificateChoice> choose_certificate(
    std::span<const LoadedCertificate> certs, std::string_view sni, std::span<const SignatureScheme> sig_algs,
    std::span<const SignatureScheme> sig_algs_cert, bool (*usable)(SignatureScheme),
    const std::function<bool(const LoadedCertificate&)>& fits = {});

// Lower-case hex SHA-256 of a DER SubjectPublicKeyInfo: what a raw public key pin names.
[[nodiscard]] std::string spki_sha256_hex(ByteView spki);

// RFC 7250 §3, §4.3 and §4.4: the one SubjectPublicKeyInfo of a peer that authenticates with
// a raw public key, trusted only when its SHA-256 is one of `pins` (32 bytes each). It must
// be a canonical DER key of a usable type and size. On success the Negotiated peer fields
// say so (peer_raw_public_key, peer_certificates = {spki}, peer_verified) and the key is
// returned; a key that matches no pin is bad_certificate naming the hash received.
// `who` is "server" or "client".
[[nodiscard]] Result<crypto::PublicKey> accept_pinned_spki(Io& io, ByteView spki, std::span<const Bytes> pins,
                                                           int min_rsa_bits, std::string_view who);

// RFC 8449 §4: the record_size_limit among a hello's (or EncryptedExtensions') extensions, 0
// when absent; a value below 64 is illegal_parameter.
[[nodiscard]] Result<uint16_t> record_size_limit_in(std::span<const wire::Extension> exts);
// The record_size_limit this side sends for a protocol version (the configured one capped
// at the version's maximum: 2^14 + 1 for TLS 1.3, 2^14 for TLS 1.2); 0 when none is configured.
[[nodiscard]] uint16_t own_record_size_limit(const CommonOptions& opts, ProtocolVersion version);

// Reads one whole handshake message, which must be of the type the current state waits for
// (`expected`; nothing: no message may come now). Anything else is unexpected_message:
// "finished received in state ExpectClientKeyExchange".
[[nodiscard]] Result<wire::HandshakeMessage> read_expected_message(ByteView message,
                                                                   std::optional<wire::HandshakeType> expected,
                                                                   std::string_view state);

// "a, b, c" of the names of a list, for event details.
template <class T, class NameFn>
std::string join_names(const std::vector<T>& items, NameFn name) {
  std::string s;
  for (const auto& i : items) {
    if (!s.empty()) s += ", ";
    s += name(i);
  }
  return s;
}
[[nodiscard]] std::string hex_string(ByteView b);
[[nodiscard]] std::string to_string(ByteView b);
[[nodiscard]] std::string alpn_list(const std::vector<ByteView>& names);

// Checks the extensions of a message from the peer against RFC 8446 §4.2: a recognized
// extension not allowed in this message is illegal_parameter; one we did not offer (in a
// response) is unsupported_extension. `offered` lists the types our hello sent.
[[nodiscard]] Status check_response_extensions(std::span<const wire::Extension> exts, wire::ExtensionContext ctx,
                                               std::span<const uint16_t> offered, std::string_view message);

}  // namespace tlspp::handshake
