/// @file
/// @brief Connection configuration.
///
/// Options are plain structs filled by the application; ClientConfig::create and
/// ServerConfig::create check them once (load files, parse keys and trust anchors) and
/// return an immutable configuration that any number of connections, on any threads,
/// share through std::shared_ptr<const ...>.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tlspp/error.h"
#include "tlspp/events.h"
#include "tlspp/export.h"
#include "tlspp/random.h"
#include "tlspp/secret.h"
#include "tlspp/types.h"

namespace tlspp {

/// A certificate chain (leaf first) and its private key, as PEM (or DER) text or files.
struct CertificateKeyPair {
  std::string cert_file;  ///< PEM file with the leaf and any intermediates, leaf first
  std::string key_file;   ///< PEM/DER private key (PKCS#8, SEC1 or PKCS#1)
  ///@{
  /// Alternatively the contents themselves (used when the file names are empty). The
  /// configuration keeps the key only in parsed form: ClientConfig::create and ServerConfig::create wipe
  /// key_pem in the options they keep, so options() never returns key material.
  Bytes cert_pem;
  Bytes key_pem;
  ///@}
  /// RFC 7250: also present this key as a raw public key (its bare SubjectPublicKeyInfo in
  /// the Certificate message, no X.509) to a peer that asks for one. With no certificate
  /// given (cert_file and cert_pem empty) the key is presented only that way, so a peer
  /// that does not ask for raw public keys is refused with unsupported_certificate. Raw
  /// public keys are implemented for TLS 1.3 only.
  bool raw_public_key = false;
};

/// Receives NSS key log lines ("CLIENT_HANDSHAKE_TRAFFIC_SECRET <random> <secret>") without
/// the trailing newline. See also keylog_to_file().
using KeyLogCallback = std::function<void(const std::string& line)>;
/// A KeyLogCallback appending to `path` (thread-safe, line-buffered).
[[nodiscard]] TLSPP_API KeyLogCallback keylog_to_file(const std::string& path);
/// keylog_to_file($SSLKEYLOGFILE) when that variable is set, otherwise an empty callback.
[[nodiscard]] TLSPP_API KeyLogCallback keylog_from_environment();

/// Options that clients and servers share (ClientOptions, ServerOptions).
struct CommonOptions {
  ///@{
  /// The protocol versions spoken: TLS 1.2 and TLS 1.3 by default, TLS 1.3 preferred.
  ProtocolVersion min_version = ProtocolVersion::tls12;
  ProtocolVersion max_version = ProtocolVersion::tls13;
  ///@}
  /// Preference order; each version uses the suites of its own kind. Defaults: the three TLS
  /// 1.3 suites (AES-128-GCM first), then the six TLS 1.2 ECDHE AEAD suites (RFC 5289, RFC
  /// 7905), ECDSA before RSA; groups x25519, secp256r1, secp384r1.
  std::vector<CipherSuite> cipher_suites = {CipherSuite::TLS_AES_128_GCM_SHA256,
                                            CipherSuite::TLS_AES_256_GCM_SHA384,
                                            CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
                                            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                                            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                                            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                                            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256};
  /// Key exchange groups in preference order (RFC 8446 §4.2.7).
  std::vector<NamedGroup> groups = {NamedGroup::x25519, NamedGroup::secp256r1, NamedGroup::secp384r1};
  /// Signature schemes accepted from the peer (and offered in signature_algorithms).
  std::vector<SignatureScheme> signature_schemes = {
      SignatureScheme::ecdsa_secp256r1_sha256, SignatureScheme::ecdsa_secp384r1_sha384,
      SignatureScheme::ed25519,                SignatureScheme::rsa_pss_rsae_sha256,
      SignatureScheme::rsa_pss_rsae_sha384,    SignatureScheme::rsa_pss_rsae_sha512,
      SignatureScheme::rsa_pss_pss_sha256,     SignatureScheme::rsa_pss_pss_sha384,
      SignatureScheme::rsa_pss_pss_sha512,     SignatureScheme::rsa_pkcs1_sha256,
      SignatureScheme::rsa_pkcs1_sha384,       SignatureScheme::rsa_pkcs1_sha512};
  /// ALPN protocol names in preference order (RFC 7301); empty: no ALPN.
  std::vector<std::string> alpn;
  /// RSA keys in the peer's certificates (and in our own) must have at least this many
  /// bits; 2048 by default, at least 1024 (for legacy sites). Keys over 8192 bits are always
  /// refused: they cost seconds of CPU to use.
  int min_rsa_key_bits = 2048;
  /// Handshake messages longer than this are rejected with illegal_parameter (RFC 8446
  /// sets no limit; this bounds the memory a peer can make us hold).
  size_t max_handshake_message = 64 * 1024;
  ///@{
  /// Back-pressure (what a peer can make us hold when the application does not keep up).
  /// receive() stops taking bytes, at a record boundary, while the application has
  /// read_buffer_limit bytes or more of received data unread, or while more than
  /// output_limit bytes wait in pending_output(); it says how much it took. So the read
  /// buffer never exceeds read_buffer_limit plus one record (2^14 bytes), and what the peer
  /// makes us send (KeyUpdate responses, alerts) stops growing when the peer does not read.
  /// A few records each by default. Data the application itself writes is always queued.
  size_t read_buffer_limit = 32 * 1024;
  size_t output_limit = 64 * 1024;
  ///@}
  /// RFC 8449: the largest protected record this side will receive, sent as
  /// record_size_limit (0: the extension is not sent). 64 to 16385; it counts the whole
  /// TLSInnerPlaintext in TLS 1.3 (content type and padding included) and the plaintext in
  /// TLS 1.2, and is sent capped at the version's maximum (2^14 + 1, 2^14). Once the peer has
  /// answered with its own limit, a protected record above ours is record_overflow. The
  /// peer's record_size_limit, whenever it sends one, bounds the protected records sent to it
  /// whatever this is set to.
  uint16_t record_size_limit = 0;
  ///@{
  /// Randomness and time; tests inject fixed ones. Null means the system's.
  std::shared_ptr<RandomSource> random;
  std::function<std::time_t()> clock;
  ///@}
  /// Receives the NSS key log lines of every connection (keylog_to_file(),
  /// keylog_from_environment()); empty: no key log.
  KeyLogCallback keylog;
  /// Records sent under one key before an automatic KeyUpdate (RFC 8446 §5.5); 0 means
  /// the AEAD's own usage limit (2^24 records for AES-GCM).
  uint64_t key_update_after_records = 0;
  /// Receives every protocol event of every connection made from this configuration
  /// (messages sent/received with parsed contents, keys installed, alerts). May be empty.
  EventCallback on_event;
};

class SessionStore;  // tlspp/session_store.h

/// An external pre-shared key (RFC 8446 §4.2.11): an identity and a secret both sides were
/// given out of band, used instead of certificates. RFC 8446 §4.2.11 ties each PSK to one
/// hash: SHA-256 (the default) or SHA-384, which decides the cipher suites it can be used with.
/// RFC 9257's advice applies: use each key for one client and server pair only.
struct ExternalPsk {
  std::string identity;  ///< the identity both sides know the key by
  SecretBytes key;  ///< at least 16 bytes, at most 64
  bool sha384 = false;  ///< the PSK's hash is SHA-384 (else SHA-256)
};

/// How a PSK is used (RFC 8446 §4.2.9): with an (EC)DHE exchange (forward secrecy, the
/// default) or alone (psk_ke: cheaper, but whoever learns the key can decrypt recorded
/// sessions).
enum class PskMode : uint8_t { dhe_ke, ke };

/// Anti-replay for 0-RTT (RFC 8446 §8): remembers what it has seen, so that early data is
/// accepted once. tlspp asks it about each ticket (single use, §8.1) and each ClientHello's
/// binder (the ClientHello recording of §8.2) within the freshness window (§8.3). It is an
/// interface so that servers of a fleet can share one (tlspp_redis). Called from many
/// connections at once.
class TLSPP_API AntiReplay {
 public:
  virtual ~AntiReplay() = default;
  /// True the first time `id` is offered, false after, for as long as until `expires`. An
  /// implementation that cannot tell (its store is down) answers false: early data is then
  /// declined and the handshake continues in 1-RTT, never accepted blindly.
  [[nodiscard]] virtual bool first_use(ByteView id, std::time_t expires) = 0;
};
/// The in-memory AntiReplay: at most `capacity` entries; when full of unexpired ones it
/// answers false (declines) rather than forget one.
[[nodiscard]] TLSPP_API std::shared_ptr<AntiReplay> make_memory_anti_replay(size_t capacity = 100000);

/// What a client configuration is made of; checked by ClientConfig::create.
struct ClientOptions : CommonOptions {
  ///@{
  /// Trust anchors: PEM files. When empty and use_system_roots is true, the system bundle
  /// /etc/ssl/certs/ca-certificates.crt is used.
  std::vector<std::string> ca_files;
  bool use_system_roots = true;
  ///@}
  /// DANGER: accept any server certificate and any host name. Only for testing.
  bool insecure_skip_verification = false;
  /// Verify the server's chain to the trust anchors but not that it names the server (the
  /// rare deployment where the name is checked some other way). The name is still sent as
  /// SNI. negotiated().peer_verified is then false.
  bool verify_chain_only = false;
  /// A client certificate, sent when the server asks for one. A pair with raw_public_key
  /// is offered as a raw public key (RFC 7250 client_certificate_type).
  std::vector<CertificateKeyPair> client_certificates;
  ///@{
  /// RFC 7250 raw public keys. A server's raw public key is trusted only by an explicit pin:
  /// the SHA-256 of its DER SubjectPublicKeyInfo is one of pinned_spki_sha256 (32 bytes
  /// each), or the SPKI equals one of pinned_spki (DER). Never through the trust anchors.
  /// With at least one pin the client offers RawPublicKey (then X.509, which is verified
  /// as usual) in server_certificate_type; without pins it does not offer raw public keys.
  std::vector<Bytes> pinned_spki_sha256;
  std::vector<Bytes> pinned_spki;
  ///@}
  /// Send a legacy_session_id and a ChangeCipherSpec (RFC 8446 Appendix D.4). Default on,
  /// as middleboxes in the wild expect it.
  bool middlebox_compat = true;
  ///@{
  /// An external PSK to authenticate with instead of the server's certificate, offered in
  /// `psk_mode`. A server that does not know the identity falls back to a certificate
  /// handshake, verified as usual.
  std::optional<ExternalPsk> external_psk;
  PskMode psk_mode = PskMode::dhe_ke;
  ///@}
  /// 0-RTT (RFC 8446 §2.3, §4.2.10): offer early data when the resumed ticket allows it; the
  /// application then writes it with Connection::write_early_data() right after create().
  /// Early data can be replayed by an attacker: send only requests that are safe to repeat.
  bool early_data = false;
  /// Where connections keep the sessions servers give them and find one to resume
  /// (tlspp/session_store.h; e.g. a MemorySessionStore). None by default: then sessions go to
  /// take_session_tickets() and are resumed only when passed to ClientConnection::create.
  std::shared_ptr<SessionStore> session_store;
};

/// Whether a server asks for a client certificate (ServerOptions::client_auth): not at all,
/// asking but carrying on without one, or refusing a client without one.
enum class ClientAuth : uint8_t { none, optional, required };

/// Where session ticket keys come from when servers must share them (a fleet behind one name
/// that should resume each other's sessions) and no shared ServerOptions::ticket_key is
/// wanted: the 32-byte key of each rotation period, the same on every server of the fleet.
/// tlspp_redis has one that keeps the keys in Redis. Called from many connections at once.
class TLSPP_API TicketKeySource {
 public:
  virtual ~TicketKeySource() = default;
  /// The key of rotation period `period` (Unix time / ticket_key_rotation_seconds), or an
  /// empty value when it cannot be had: tickets of that period then neither seal nor open,
  /// and handshakes fall back to full ones.
  [[nodiscard]] virtual SecretBytes key(uint64_t period) = 0;
};

/// What a server configuration is made of; checked by ServerConfig::create.
struct ServerOptions : CommonOptions {
  /// One or more certificate chains; chosen by SNI (matching a DNS name of the leaf), the
  /// first one otherwise.
  std::vector<CertificateKeyPair> certificates;
  /// true: the server's suite preference wins; false: the client's.
  bool prefer_server_cipher_order = true;
  /// If the client offers ALPN and none of ours matches: true sends no_application_protocol,
  /// false carries on without ALPN.
  bool require_alpn_match = true;
  /// Whether to ask the client for a certificate in the handshake.
  ClientAuth client_auth = ClientAuth::none;
  /// The CAs client certificates are verified against: those asked for in the handshake
  /// (client_auth) and after it (ServerConnection::request_client_certificate, which works
  /// with client_auth none too).
  std::vector<std::string> client_ca_files;
  ///@{
  /// RFC 7250 client raw public keys, with client_auth: a client that offers RawPublicKey in
  /// client_certificate_type is asked for its bare key, accepted only when the SHA-256 of
  /// its DER SubjectPublicKeyInfo is one of these (32 bytes each) or the SPKI equals one of
  /// pinned_client_spki (DER). client_ca_files may then be empty (X.509 client certificates
  /// are then refused: no anchor vouches for them).
  std::vector<Bytes> pinned_client_spki_sha256;
  std::vector<Bytes> pinned_client_spki;
  ///@}
  ///@{
  /// TLS 1.3 NewSessionTickets sent after a full handshake (0: none) and after a resumed
  /// one, and how long each lets a client resume (RFC 8446 §4.6.1: at most seven days).
  unsigned tickets = 2;
  unsigned tickets_after_resumption = 1;
  uint32_t ticket_lifetime_seconds = 7200;
  ///@}
  ///@{
  /// Tickets are sealed (AES-256-GCM), so that the server keeps no session state, with keys
  /// that rotate every ticket_key_rotation_seconds: the current period's key seals, it and the
  /// previous one open (so a ticket opens for at least one whole period; the lifetime may not
  /// exceed it). The period keys are derived (HKDF) from ticket_key, 32 bytes, or from a
  /// random key per configuration when it is empty: servers given the same ticket_key (and
  /// clocks) resume each other's sessions and rotate together. Like key_pem, ticket_key is
  /// wiped from the options the configuration keeps. ticket_key_source, when set, supplies
  /// the period keys instead.
  Bytes ticket_key;
  uint32_t ticket_key_rotation_seconds = 6 * 3600;
  std::shared_ptr<TicketKeySource> ticket_key_source;
  ///@}
  /// Accept resumption (PSK with (EC)DHE, RFC 8446 §4.2.11) from tickets this server issued.
  bool accept_resumption = true;
  ///@{
  /// External PSKs the server accepts, by identity (RFC 8446 §4.2.11). A client offering
  /// one of them is authenticated by it (no certificates either way; client_auth does not
  /// apply); an unknown identity falls back to a certificate handshake, so a server with
  /// only PSKs (no certificates) refuses such clients with handshake_failure. psk_ke (PSK
  /// without (EC)DHE) is accepted only when allow_psk_ke is set; psk_dhe_ke is preferred.
  std::vector<ExternalPsk> external_psks;
  bool allow_psk_ke = false;
  ///@}
  /// 0-RTT (RFC 8446 §4.2.10): early data is declined unless this is set (then tickets say
  /// how much a client may send). Accepted early data reaches the application through
  /// read_early_data(), apart from read(). Declined early data (off, over the limit, after
  /// a HelloRetryRequest, another ALPN or suite, a stale ticket age, a replay) is skipped, up
  /// to this many bytes or 16 KiB, whichever is more; more is unexpected_message.
  uint32_t max_early_data = 0;
  /// §8: remembers tickets and ClientHellos seen (default: in memory, per configuration).
  std::shared_ptr<AntiReplay> anti_replay;
  /// §8.3: how far the client's idea of the ticket's age may be from the server's.
  uint32_t early_data_age_tolerance_ms = 10000;
  /// TLS 1.2 session IDs (RFC 5246 §7.4.1.2): sessions kept in memory for resumption, at most
  /// this many (the oldest go first; 0: no session IDs). Shared by every connection of the
  /// configuration. TLS 1.2 tickets (RFC 5077) follow `tickets` (any non-zero value: one
  /// ticket per full handshake when the client asks) and ticket_lifetime_seconds.
  size_t session_cache_size = 1024;
};

/// An immutable, checked client configuration, shared by any number of connections on any
/// threads through std::shared_ptr<const ClientConfig>.
class TLSPP_API ClientConfig {
 public:
  /// Checks `options` (loads the files they name, parses keys and trust anchors) and makes
  /// the configuration, or fails with a config error naming what is wrong.
  [[nodiscard]] static Result<std::shared_ptr<const ClientConfig>> create(ClientOptions options);
  /// The options the configuration was made from (secret keys wiped).
  [[nodiscard]] const ClientOptions& options() const { return options_; }
  ~ClientConfig();
  struct TLSPP_LOCAL Impl;
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  ClientConfig() = default;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

/// An immutable, checked server configuration, shared by any number of connections on any
/// threads through std::shared_ptr<const ServerConfig>.
class TLSPP_API ServerConfig {
 public:
  /// Checks `options` (loads the files they name, parses keys and trust anchors) and makes
  /// the configuration, or fails with a config error naming what is wrong.
  [[nodiscard]] static Result<std::shared_ptr<const ServerConfig>> create(ServerOptions options);
  /// The options the configuration was made from (secret keys wiped).
  [[nodiscard]] const ServerOptions& options() const { return options_; }
  ~ServerConfig();
  struct TLSPP_LOCAL Impl;
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  ServerConfig() = default;
  ServerOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tlspp
