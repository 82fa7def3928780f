// What ClientConfig / ServerConfig hold beyond the options: files loaded and parsed once,
// then shared read-only by every connection. The handshake state machines read it;
// conn/config.cc builds it. It lives here, below conn/, so that conn/ includes handshake/
// and never the reverse (DESIGN.md's layer diagram, checked by scripts/check-layers.sh).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/sig.h"
#include "handshake/sessions.h"
#include "pki/verify.h"
#include "tlspp/config.h"

namespace tlspp {

// A certificate chain with its key, ready to send.
struct LoadedCertificate {
  std::vector<Bytes> chain;  // DER, leaf first
  crypto::PrivateKey key;
  crypto::KeyType key_type = crypto::KeyType::other;
  std::vector<std::string> dns_names;  // the leaf's DNS SANs (for SNI selection)
  std::string subject;
  // How each certificate of the chain that is not self-signed was signed, for matching the
  // peer's signature_algorithms_cert (RFC 8446 §4.2.3).
  std::vector<pki::SignatureAlgorithm> chain_signatures;
};

struct ClientConfig::Impl {
  std::shared_ptr<const pki::TrustStore> trust;  // null when verification is skipped
  std::vector<LoadedCertificate> certificates;
  // RFC 7250: the keys offered as raw public keys (chain holds the one SPKI, DER), and the
  // SHA-256 of every pinned server SPKI (ClientOptions::pinned_spki_sha256 and pinned_spki).
  std::vector<LoadedCertificate> raw_keys;
  std::vector<Bytes> spki_pins;
  std::shared_ptr<RandomSource> random;
};

struct ServerConfig::Impl {
  std::vector<LoadedCertificate> certificates;  // the X.509 chains
  // RFC 7250: the keys served as raw public keys (chain holds the one SPKI, DER), and the
  // SHA-256 of every pinned client SPKI.
  std::vector<LoadedCertificate> raw_keys;
  std::vector<Bytes> client_spki_pins;
  std::shared_ptr<const pki::TrustStore> client_trust;
  std::shared_ptr<RandomSource> random;
  // Key of the HMAC that authenticates HelloRetryRequest cookies (RFC 8446 §4.2.2), so
  // the server keeps no state between the two ClientHellos.
  crypto::Secret cookie_key;
  // The rotating keys that seal and open session tickets (ServerOptions::ticket_key or a
  // random master, or ServerOptions::ticket_key_source).
  std::unique_ptr<handshake::TicketKeys> tickets;
  // 0-RTT anti-replay (ServerOptions::anti_replay, or one in memory when early data is on).
  std::shared_ptr<AntiReplay> anti_replay;
  // TLS 1.2 sessions by session ID (ServerOptions::session_cache_size entries), shared by
  // every connection of the configuration; null when the size is 0.
  std::unique_ptr<handshake::SessionCache> session_cache;
};

}  // namespace tlspp
