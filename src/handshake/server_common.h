// Pieces both server state machines use (TLS 1.3 in tls13_server.cc, TLS 1.2 in
// tls12_server.cc): what a ClientHello asks for that does not depend on the version, and the
// client's certificate.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "crypto/sig.h"
#include "handshake/config_impl.h"
#include "handshake/io.h"
#include "tlspp/config.h"
#include "wire/messages.h"

namespace tlspp::handshake {

[[nodiscard]] Error handshake_failure(std::string what);

// RFC 6066 §3: the host_name of the client's server_name extension, lower-cased (host names
// compare case-insensitively); empty when it sent none.
[[nodiscard]] Result<std::string> client_server_name(const wire::ClientHello& ch);

// RFC 7301 §3.2: the server's most preferred ALPN protocol that the client offers; empty when
// the client offers none, or none matches and require_alpn_match is off (with it on, that is
// no_application_protocol).
[[nodiscard]] Result<std::string> choose_alpn(const ServerOptions& opts, const wire::ClientHello& ch);

// The cipher suites both sides offer that `usable` accepts, in the order of the side whose
// preference wins (ServerOptions::prefer_server_cipher_order).
[[nodiscard]] std::vector<CipherSuite> common_suites(const ServerOptions& opts, std::span<const CipherSuite> theirs,
                                                     bool (*usable)(CipherSuite));

// "ECDSA P-256, RSA" style list of the configured certificates' key types, for errors.
[[nodiscard]] std::string certificate_key_types(std::span<const LoadedCertificate> certs);

// RFC 8446 §4.4.2.4, RFC 5246 §7.4.6: verifies the client's certificate chain against the
// configured client CAs, records who the client is in io.negotiated() (peer_certificates,
// peer_subject, peer_key, peer_verified) and returns the leaf's key.
[[nodiscard]] Result<crypto::PublicKey> verify_client_chain(Io& io, const ServerConfig& config,
                                                            std::span<const ByteView> chain);

// The subject names (DER) of the configured client CAs, for CertificateRequest's
// certificate_authorities (RFC 8446 §4.2.4, RFC 5246 §7.4.4). None when there are so many
// that they would crowd the message (the client may then send any certificate).
[[nodiscard]] std::vector<ByteView> client_ca_names(const ServerConfig& config);

}  // namespace tlspp::handshake
