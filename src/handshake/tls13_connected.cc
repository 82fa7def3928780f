#include "handshake/tls13_connected.h"

#include <string>

#include "keysched/tls13.h"
#include "wire/messages.h"

namespace tlspp::handshake {

Status install_tls13_keys(Io& io, Direction direction, KeyEpoch epoch, crypto::AeadAlg aead, crypto::HashAlg hash,
                          ByteView secret, std::string_view label, bool update) {
  const keysched::TrafficKeys k = keysched::traffic_keys(hash, aead, secret);
  TrafficKeys t;
  t.epoch = epoch;
  t.aead = aead;
  t.hash = hash;
  t.form = record::RecordForm::tls13;
  t.key = k.key.view();
  t.iv = k.iv.view();
  t.secret = secret;
  t.label = label;
  t.update = update;
  return io.install_keys(direction, t);
}

namespace {

// KeyUpdates a peer may send without any application data between them before we call it a
// flood (RFC 8446 leaves the bound to us).
constexpr unsigned kMaxKeyUpdates = 32;
// RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)".
constexpr uint32_t kMaxTicketLifetime = 604800;

class Tls13Connected final : public Connected {
 public:
  Tls13Connected(Side side, const Tls13Secrets& s)
      : side_(side),
        hash_(s.hash),
        aead_(s.aead),
        read_(side == Side::client ? s.server_application : s.client_application),
        write_(side == Side::client ? s.client_application : s.server_application),
        exporter_(s.exporter),
        resumption_(s.resumption) {}

  Status handle(Io& io, ByteView message) override {
    wire::Reader r(message);
    auto m = wire::read_handshake(r);
    if (!m) return fail(m.error());
    if (m->type == wire::HandshakeType::key_update) return on_key_update(io, *m);
    if (m->type == wire::HandshakeType::new_session_ticket && side_ == Side::client)
      return on_new_session_ticket(io, *m);
    return fail(Error::unexpected(std::string(wire::handshake_type_name(m->type)) + " received after the handshake"));
  }

  bool can_update_keys() const override { return true; }

  Status update_keys(Io& io, bool request_peer) override {
    const wire::KeyUpdate ku{request_peer ? wire::KeyUpdateRequest::update_requested
                                          : wire::KeyUpdateRequest::update_not_requested};
    TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(ku));
    io.send_message({MessageType::key_update}, msg, io.tracing() ? request_details(request_peer) : Details{});
    silent_since_update_ = true;
    write_ = keysched::next_traffic_secret(hash_, write_.view());
    return install_tls13_keys(io, Direction::write, KeyEpoch::application, aead_, hash_, write_.view(), {}, true);
  }

  void application_data_received() override { key_updates_ = 0; }
  void application_data_sent() override { silent_since_update_ = false; }

  Status export_keying_material(std::string_view label, ByteView context, MutByteView out) const override {
    return keysched::export_keying_material(hash_, exporter_.view(), label, context, out);
  }

 private:
  static Details request_details(bool requested) {
    return {{"request_update", requested ? "update_requested" : "update_not_requested"}};
  }

  // RFC 8446 §4.6.3.
  Status on_key_update(Io& io, const wire::HandshakeMessage& m) {
    auto ku = wire::KeyUpdate::decode(m.body);
    if (!ku) return fail(ku.error());
    if (++key_updates_ > kMaxKeyUpdates) return fail(Error::unexpected("too many KeyUpdates without application data"));
    const bool requested = ku->request_update == wire::KeyUpdateRequest::update_requested;
    io.message_received({MessageType::key_update}, m.whole.size(), io.tracing() ? request_details(requested) : Details{});
    read_ = keysched::next_traffic_secret(hash_, read_.view());
    TLSPP_TRY(install_tls13_keys(io, Direction::read, KeyEpoch::application, aead_, hash_, read_.view(), {}, true));
    // "If the request_update field is set to "update_requested", then the receiver MUST send
    // a KeyUpdate of its own with request_update set to "update_not_requested" prior to
    // sending its next Application Data record", which "causes an implementation which
    // receives multiple KeyUpdates while it is silent to respond with a single update":
    // requests after our last KeyUpdate, with no application data sent since, are answered
    // by it when it has not left yet: it goes to the peer after this request. (So a peer
    // that never reads cannot make us queue one KeyUpdate per request.)
    if (requested && !(silent_since_update_ && io.key_update_unsent())) TLSPP_TRY(update_keys(io, false));
    return {};
  }

  // RFC 8446 §4.6.1.
  Status on_new_session_ticket(Io& io, const wire::HandshakeMessage& m) {
    auto nst = wire::NewSessionTicket::decode(m.body);
    if (!nst) return fail(nst.error());
    if (nst->ticket_lifetime > kMaxTicketLifetime)
      return fail(Error::illegal("NewSessionTicket lifetime of " + std::to_string(nst->ticket_lifetime) +
                                 " s exceeds seven days"));
    SessionTicket t;
    t.version = ProtocolVersion::tls13;
    t.lifetime_seconds = nst->ticket_lifetime;
    t.age_add = nst->ticket_age_add;
    t.nonce.assign(nst->ticket_nonce.begin(), nst->ticket_nonce.end());
    t.ticket.assign(nst->ticket.begin(), nst->ticket.end());
    if (const auto* e = wire::find_extension(nst->extensions, wire::ExtensionType::early_data)) {
      auto ed = wire::EarlyDataMax::decode(e->data);
      if (!ed) return fail(ed.error());
      t.max_early_data = ed->max_early_data_size;
    }
    const auto psk = keysched::resumption_psk(hash_, resumption_.view(), nst->ticket_nonce);
    t.resumption_secret.assign(psk.view());
    const Negotiated& n = io.negotiated();
    t.cipher_suite = n.cipher_suite;
    t.server_name = n.server_name;
    t.alpn = n.alpn;
    t.received_at = io.now();
    t.peer_subject = n.peer_subject;
    t.peer_key = n.peer_key;
    t.peer_verified = n.peer_verified;
    if (io.tracing())
      io.message_received({MessageType::new_session_ticket}, m.whole.size(),
                          {{"lifetime", std::to_string(t.lifetime_seconds) + " s"},
                           {"ticket", std::to_string(t.ticket.size()) + " bytes"}});
    io.session_received(std::move(t));
    return {};
  }

  Side side_;
  crypto::HashAlg hash_;
  crypto::AeadAlg aead_;
  crypto::Secret read_, write_, exporter_, resumption_;
  unsigned key_updates_ = 0;
  bool silent_since_update_ = false;  // no application data sent since our last KeyUpdate
};

}  // namespace

std::unique_ptr<Connected> make_tls13_connected(Side side, const Tls13Secrets& secrets) {
  return std::make_unique<Tls13Connected>(side, secrets);
}

}  // namespace tlspp::handshake
