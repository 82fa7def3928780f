#include "handshake/client.h"

#include <cstring>
#include <optional>
#include <utility>

#include "handshake/client_hello.h"
#include "handshake/common.h"
#include "wire/messages.h"

namespace tlspp::handshake {
namespace {

using wire::ExtensionType;

// Which version a ServerHello (or HelloRetryRequest) chose (RFC 8446 §4.1.3, §4.2.1), checked
// against what was offered, with the downgrade protection of §4.1.3.
Result<ProtocolVersion> chosen_version(const ClientOffer& o, const wire::ServerHello& sh) {
  const auto* sv = wire::find_extension(sh.extensions, ExtensionType::supported_versions);
  if (sv) {
    auto v = wire::SupportedVersionSelected::decode(sv->data);
    if (!v) return fail(v.error());
    // §4.2.1: supported_versions selects TLS 1.3 (a TLS 1.2 server does not send it).
    if (v->version != ProtocolVersion::tls13 || !o.offer_tls13)
      return fail(Error::illegal(std::string(sh.is_hello_retry_request() ? "HelloRetryRequest" : "ServerHello") +
                                 " selected version " + std::string(protocol_version_name(v->version)) +
                                 ", which was not offered"));
    return ProtocolVersion::tls13;
  }
  if (sh.legacy_version == ProtocolVersion::tls12 && o.offer_tls12 && !sh.is_hello_retry_request()) {
    // §4.1.3: "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2 or below MUST
    // check that the last 8 bytes are not equal to either of these values ... If a match is
    // found, the client MUST abort the handshake with an "illegal_parameter" alert."
    if (o.offer_tls13 && sh.downgrade() != wire::DowngradeSentinel::none)
      return fail(Error::illegal("ServerHello carries the TLS 1.3 downgrade sentinel: possible downgrade attack"));
    return ProtocolVersion::tls12;
  }
  const std::string offered = o.offer_tls13 && o.offer_tls12 ? "TLS 1.3 and TLS 1.2"
                              : o.offer_tls13               ? "only TLS 1.3"
                                                            : "only TLS 1.2";
  if (o.offer_tls13 && sh.downgrade() != wire::DowngradeSentinel::none)
    return fail(Error::illegal("ServerHello carries the TLS 1.3 downgrade sentinel: possible downgrade attack"));
  return fail(Error{ErrorKind::peer_incompatible, AlertDescription::protocol_version,
                    "server chose " + std::string(protocol_version_name(sh.legacy_version)) + "; this client offers " +
                        offered});
}

class Client final : public Handshake {
 public:
  Client(std::shared_ptr<const ClientConfig> config, const ServerName& name, const SessionTicket* session)
      : offer_(std::in_place, std::move(config), name) {
    if (session) session_ = *session;
  }

  Status start(Io& io) override {
    return send_first_client_hello(io, *offer_, std::exchange(session_, std::nullopt));
  }

  Status handle(Io& io, ByteView message) override {
    if (next_) return next_->handle(io, message);
    // ExpectServerHello: the only state of this dispatcher.
    wire::Reader r(message);
    auto m = wire::read_handshake(r);
    if (!m) return fail(m.error());
    if (m->type != wire::HandshakeType::server_hello)
      return fail(Error::unexpected(std::string(wire::handshake_type_name(m->type)) +
                                    " received in state ExpectServerHello"));
    auto sh = wire::ServerHello::decode(m->body);
    if (!sh) return fail(sh.error());
    TLSPP_TRY_ASSIGN(const ProtocolVersion v, chosen_version(*offer_, *sh));
    auto next = v == ProtocolVersion::tls13 ? make_tls13_client(std::move(*offer_)) : make_tls12_client(std::move(*offer_));
    offer_.reset();
    const Status s = next->first_server_hello(io, *m, *sh);
    next_ = std::move(next);
    return s;
  }

  bool done() const override { return next_ && next_->done(); }
  bool ccs_allowed() const override { return next_ ? next_->ccs_allowed() : offer_->offer_tls13; }
  Status change_cipher_spec(Io& io) override { return next_ ? next_->change_cipher_spec(io) : Status{}; }
  std::string_view state_name() const override { return next_ ? next_->state_name() : "ExpectServerHello"; }

  std::string explain_peer_alert(AlertDescription alert) const override {
    if (next_) return next_->explain_peer_alert(alert);
    // An alert instead of a ServerHello: the server refused this ClientHello, and a server
    // that speaks only other versions says so with protocol_version (RFC 8446 §4.2.1) or,
    // in older stacks, handshake_failure.
    const std::string versions = offer_->offer_tls12 ? (offer_->offer_tls13 ? "TLS 1.3 or TLS 1.2" : "TLS 1.2")
                                                     : "TLS 1.3";
    if (alert == AlertDescription::protocol_version)
      return "the server does not support " + versions + " (it answered protocol_version)";
    if (alert == AlertDescription::handshake_failure)
      return "the server refused the ClientHello (it answered handshake_failure): it may not support " + versions +
             ", or shares no cipher suite, group or signature scheme with this client";
    return {};
  }
  std::string explain_transport_end() const override {
    if (next_) return next_->explain_transport_end();
    // Some servers that speak only older versions close the connection without an alert.
    const std::string versions = offer_->offer_tls12 ? (offer_->offer_tls13 ? "TLS 1.3 or TLS 1.2" : "TLS 1.2")
                                                     : "TLS 1.3";
    return "the server closed the connection without answering the ClientHello (it may not support " + versions + ")";
  }

 private:
  std::optional<ClientOffer> offer_;
  std::optional<SessionTicket> session_;
  std::unique_ptr<ClientHandshake> next_;
};

}  // namespace

std::unique_ptr<Handshake> make_client(std::shared_ptr<const ClientConfig> config, const ServerName& server_name,
                                       const SessionTicket* session) {
  return std::make_unique<Client>(std::move(config), server_name, session);
}

}  // namespace tlspp::handshake
