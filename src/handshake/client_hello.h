// The client's first flight, shared by both protocol versions (RFC 8446 §4.1.2, RFC 5246
// §7.4.1.2): one ClientHello builder for everything the configuration offers, and the record
// of what was offered, which the version the server picks continues from.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "crypto/hash.h"
#include "crypto/kx.h"
#include "crypto/sig.h"
#include "handshake/io.h"
#include "keysched/transcript.h"
#include "tlspp/config.h"
#include "tlspp/server_name.h"
#include "wire/messages.h"

namespace tlspp::handshake {

// What the client offered, and the state both versions' continuations start from.
struct ClientOffer {
  ClientOffer(std::shared_ptr<const ClientConfig> c, ServerName name);
  std::shared_ptr<const ClientConfig> config;
  const ClientOptions& opts;
  ServerName server_name;
  bool offer_tls13 = true, offer_tls12 = true;  // within the configured version range
  uint8_t random[32] = {};
  uint8_t session_id[32] = {};
  size_t session_id_len = 0;
  std::optional<crypto::KeyShare> share;  // TLS 1.3 key share
  Bytes cookie;                           // TLS 1.3 HelloRetryRequest cookie, echoed
  bool retried = false;                   // the ClientHello after a HelloRetryRequest
  bool ccs_sent = false;                  // RFC 8446 Appendix D.4 compatibility CCS
  std::vector<uint16_t> offered;          // extension types of our ClientHello
  // Resumption: a TLS 1.3 ticket (RFC 8446 §4.2.11) and its suite's hash, or a TLS 1.2
  // session (session ID and/or RFC 5077 ticket).
  std::optional<SessionTicket> ticket;
  crypto::HashAlg psk_hash = crypto::HashAlg::sha256;
  // The PSK offered is ClientOptions::external_psk (ticket then holds its identity and key),
  // not a resumption ticket: its binder and age differ (RFC 8446 §4.2.11, §7.1).
  bool external_psk = false;
  // 0-RTT offered with the ticket (RFC 8446 §4.2.10): early_data in the first ClientHello.
  bool early = false;
  std::time_t now = 0;
  keysched::Transcript transcript;  // holds the ClientHello (unhashed until a suite is known)
  Bytes client_hello;               // the last ClientHello sent, for TLS 1.2's transcript

  [[nodiscard]] ByteView session_id_view() const { return ByteView(session_id, session_id_len); }
  [[nodiscard]] bool suite_offered(CipherSuite s) const;
};

// Prepares the offer (random, session ID, key share, the session to resume) and sends the
// first ClientHello.
[[nodiscard]] Status send_first_client_hello(Io& io, ClientOffer& offer, std::optional<SessionTicket> session);
// Sends a ClientHello for the offer as it stands (also the second one after a
// HelloRetryRequest, with offer.retried set).
[[nodiscard]] Status send_client_hello(Io& io, ClientOffer& offer);

// The server's certificate chain (leaf first), verified as the configuration says (RFC 5280
// path, host name, key size; with insecure_skip_verification only the leaf key's size), with
// the Negotiated peer fields filled. Returns the leaf's key.
[[nodiscard]] Result<crypto::PublicKey> accept_server_chain(Io& io, const ClientOffer& offer,
                                                            std::span<const ByteView> chain);

// A version's client machine, starting in "expect ServerHello" with the offer made. The
// dispatcher hands it the ServerHello already decoded, so that a hello is parsed once; every
// later message (a second ServerHello after a HelloRetryRequest too) arrives through handle().
class ClientHandshake : public Handshake {
 public:
  Status start(Io&) override { return {}; }
  [[nodiscard]] virtual Status first_server_hello(Io& io, const wire::HandshakeMessage& m,
                                                  const wire::ServerHello& sh) = 0;
};

// The TLS 1.3 and TLS 1.2 continuations.
[[nodiscard]] std::unique_ptr<ClientHandshake> make_tls13_client(ClientOffer offer);
[[nodiscard]] std::unique_ptr<ClientHandshake> make_tls12_client(ClientOffer offer);

}  // namespace tlspp::handshake
