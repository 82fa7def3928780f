// tlspp: connection configuration.
//
// Options are plain structs filled by the application; ClientConfig::create and
// ServerConfig::create check them once (load files, parse keys and trust anchors) and
// return an immutable configuration that any number of connections, on any threads,
// share through std::shared_ptr<const ...>.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tlspp/error.h"
#include "tlspp/events.h"
#include "tlspp/random.h"
#include "tlspp/types.h"

namespace tlspp {

// A certificate chain (leaf first) and its private key, as PEM (or DER) text or files.
struct CertificateKeyPair {
  std::string cert_file;  // PEM file with the leaf and any intermediates, leaf first
  std::string key_file;   // PEM/DER private key (PKCS#8, SEC1 or PKCS#1)
  // Alternatively the contents themselves (used when the file names are empty). The
  // configuration keeps the key only in parsed form: ClientConfig/ServerConfig::create wipe
  // key_pem in the options they keep, so options() never returns key material.
  Bytes cert_pem;
  Bytes key_pem;
  // RFC 7250: also present this key as a raw public key (its bare SubjectPublicKeyInfo in
  // the Certificate message, no X.509) to a peer that asks for one. With no certificate
  // given (cert_file and cert_pem empty) the key is presented only that way, so a peer
  // that does not ask for raw public keys is refused with unsupported_certificate. Raw
  // public keys are implemented for TLS 1.3 only.
  bool raw_public_key = false;
};

// Receives NSS key log lines ("CLIENT_HANDSHAKE_TRAFFIC_SECRET <random> <secret>") without
// the trailing newline. See also keylog_to_file().
using KeyLogCallback = std::function<void(const std::string& line)>;
// A KeyLogCallback appending to `path` (thread-safe, line-buffered).
[[nodiscard]] KeyLogCallback keylog_to_file(const std::string& path);
// keylog_to_file($SSLKEYLOGFILE) when that variable is set, otherwise an empty callback.
[[nodiscard]] KeyLogCallback keylog_from_environment();

struct CommonOptions {
  // The protocol versions spoken: TLS 1.2 and TLS 1.3 by default, TLS 1.3 preferred.
  ProtocolVersion min_version = ProtocolVersion::tls12;
  ProtocolVersion max_version = ProtocolVersion::tls13;
  // Preference order; each version uses the suites of its own kind. Defaults: the three TLS
  // 1.3 suites (AES-128-GCM first), then the six TLS 1.2 ECDHE AEAD suites (RFC 5289, RFC
  // 7905), ECDSA before RSA; groups x25519, secp256r1, secp384r1.
  std::vector<CipherSuite> cipher_suites = {CipherSuite::TLS_AES_128_GCM_SHA256,
                                            CipherSuite::TLS_AES_256_GCM_SHA384,
                                            CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
                                            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                                            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                                            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                                            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256};
  std::vector<NamedGroup> groups = {NamedGroup::x25519, NamedGroup::secp256r1, NamedGroup::secp384r1};
  // Signature schemes accepted from the peer (and offered in signature_algorithms).
  std::vector<SignatureScheme> signature_schemes = {
      SignatureScheme::ecdsa_secp256r1_sha256, SignatureScheme::ecdsa_secp384r1_sha384,
      SignatureScheme::ed25519,                SignatureScheme::rsa_pss_rsae_sha256,
      SignatureScheme::rsa_pss_rsae_sha384,    SignatureScheme::rsa_pss_rsae_sha512,
      SignatureScheme::rsa_pss_pss_sha256,     SignatureScheme::rsa_pss_pss_sha384,
      SignatureScheme::rsa_pss_pss_sha512,     SignatureScheme::rsa_pkcs1_sha256,
      SignatureScheme::rsa_pkcs1_sha384,       SignatureScheme::rsa_pkcs1_sha512};
  // ALPN protocol names in preference order (RFC 7301); empty: no ALPN.
  std::vector<std::string> alpn;
  // RSA keys in the peer's certificates (and in our own) must have at least this many
  // bits; 2048 by default, at least 1024 (for legacy sites). Keys over 8192 bits are always
  // refused: they cost seconds of CPU to use.
  int min_rsa_key_bits = 2048;
  // Handshake messages longer than this are rejected with illegal_parameter (RFC 8446
  // sets no limit; this bounds the memory a peer can make us hold).
  size_t max_handshake_message = 64 * 1024;
  // Back-pressure (what a peer can make us hold when the application does not keep up).
  // receive() stops taking bytes, at a record boundary, while the application has
  // read_buffer_limit bytes or more of received data unread, or while more than
  // output_limit bytes wait in pending_output(); it says how much it took. So the read
  // buffer never exceeds read_buffer_limit plus one record (2^14 bytes), and what the peer
  // makes us send (KeyUpdate responses, alerts) stops growing when the peer does not read.
  // A few records each by default. Data the application itself writes is always queued.
  size_t read_buffer_limit = 32 * 1024;
  size_t output_limit = 64 * 1024;
  // RFC 8449: the largest protected record this side will receive, sent as
  // record_size_limit (0: the extension is not sent). 64 to 16385; it counts the whole
  // TLSInnerPlaintext in TLS 1.3 (content type and padding included) and the plaintext in
  // TLS 1.2, and is sent capped at the version's maximum (2^14 + 1, 2^14). Once the peer has
  // answered with its own limit, a protected record above ours is record_overflow. The
  // peer's record_size_limit, whenever it sends one, bounds the protected records sent to it
  // whatever this is set to.
  uint16_t record_size_limit = 0;
  // Randomness and time; tests inject fixed ones. Null means the system's.
  std::shared_ptr<RandomSource> random;
  std::function<std::time_t()> clock;
  KeyLogCallback keylog;
  // Records sent under one key before an automatic KeyUpdate (RFC 8446 §5.5); 0 means
  // the AEAD's own usage limit (2^24 records for AES-GCM).
  uint64_t key_update_after_records = 0;
  // Receives every protocol event of every connection made from this configuration
  // (messages sent/received with parsed contents, keys installed, alerts). May be empty.
  EventCallback on_event;
};

struct ClientOptions : CommonOptions {
  // Trust anchors: PEM files. When empty and use_system_roots is true, the system bundle
  // /etc/ssl/certs/ca-certificates.crt is used.
  std::vector<std::string> ca_files;
  bool use_system_roots = true;
  // DANGER: accept any server certificate and any host name. Only for testing.
  bool insecure_skip_verification = false;
  // Verify the server's chain to the trust anchors but not that it names the server (the
  // rare deployment where the name is checked some other way). The name is still sent as
  // SNI. negotiated().peer_verified is then false.
  bool verify_chain_only = false;
  // A client certificate, sent when the server asks for one. A pair with raw_public_key
  // is offered as a raw public key (RFC 7250 client_certificate_type).
  std::vector<CertificateKeyPair> client_certificates;
  // RFC 7250 raw public keys. A server's raw public key is trusted only by an explicit pin:
  // the SHA-256 of its DER SubjectPublicKeyInfo is one of pinned_spki_sha256 (32 bytes
  // each), or the SPKI equals one of pinned_spki (DER). Never through the trust anchors.
  // With at least one pin the client offers RawPublicKey (then X.509, which is verified
  // as usual) in server_certificate_type; without pins it does not offer raw public keys.
  std::vector<Bytes> pinned_spki_sha256;
  std::vector<Bytes> pinned_spki;
  // Send a legacy_session_id and a ChangeCipherSpec (RFC 8446 Appendix D.4). Default on,
  // as middleboxes in the wild expect it.
  bool middlebox_compat = true;
};

enum class ClientAuth : uint8_t { none, optional, required };

struct ServerOptions : CommonOptions {
  // One or more certificate chains; chosen by SNI (matching a DNS name of the leaf), the
  // first one otherwise.
  std::vector<CertificateKeyPair> certificates;
  // true: the server's suite preference wins; false: the client's.
  bool prefer_server_cipher_order = true;
  // If the client offers ALPN and none of ours matches: true sends no_application_protocol,
  // false carries on without ALPN.
  bool require_alpn_match = true;
  ClientAuth client_auth = ClientAuth::none;
  // The CAs client certificates are verified against: those asked for in the handshake
  // (client_auth) and after it (ServerConnection::request_client_certificate, which works
  // with client_auth none too).
  std::vector<std::string> client_ca_files;
  // RFC 7250 client raw public keys, with client_auth: a client that offers RawPublicKey in
  // client_certificate_type is asked for its bare key, accepted only when the SHA-256 of
  // its DER SubjectPublicKeyInfo is one of these (32 bytes each) or the SPKI equals one of
  // pinned_client_spki (DER). client_ca_files may then be empty (X.509 client certificates
  // are then refused: no anchor vouches for them).
  std::vector<Bytes> pinned_client_spki_sha256;
  std::vector<Bytes> pinned_client_spki;
  // Number of NewSessionTickets sent after the handshake (0: none), and how long each
  // lets a client resume (RFC 8446 §4.6.1: at most seven days).
  unsigned tickets = 0;
  uint32_t ticket_lifetime_seconds = 7200;
  // Tickets are sealed (AES-256-GCM) with this 32-byte key, so that the server keeps no
  // session state; empty: a random key per configuration. Give several servers the same
  // key to let a client resume on any of them. Like key_pem, wiped from the options the
  // configuration keeps (options().ticket_key is empty).
  Bytes ticket_key;
  // Accept resumption (PSK with (EC)DHE, RFC 8446 §4.2.11) from tickets this server issued.
  bool accept_resumption = true;
  // TLS 1.2 session IDs (RFC 5246 §7.4.1.2): sessions kept in memory for resumption, at most
  // this many (the oldest go first; 0: no session IDs). Shared by every connection of the
  // configuration. TLS 1.2 tickets (RFC 5077) follow `tickets` (any non-zero value: one
  // ticket per full handshake when the client asks) and ticket_lifetime_seconds.
  size_t session_cache_size = 1024;
};

class ClientConfig {
 public:
  [[nodiscard]] static Result<std::shared_ptr<const ClientConfig>> create(ClientOptions options);
  [[nodiscard]] const ClientOptions& options() const { return options_; }
  ~ClientConfig();
  struct Impl;
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  ClientConfig() = default;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

class ServerConfig {
 public:
  [[nodiscard]] static Result<std::shared_ptr<const ServerConfig>> create(ServerOptions options);
  [[nodiscard]] const ServerOptions& options() const { return options_; }
  ~ServerConfig();
  struct Impl;
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  ServerConfig() = default;
  ServerOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tlspp
