#include "handshake/tls12_common.h"

#include <string>

#include "wire/messages.h"

namespace tlspp::handshake {

const crypto::Hmac& Tls12Session::master_mac() {
  if (!keys) keys.reset(new HandshakeKeys{crypto::Hmac(params.hash, master.view()), {}});
  return keys->master_mac;
}

Status install_tls12_keys(Io& io, Direction direction, Side side, Tls12Session& s) {
  const crypto::Hmac& mac = s.master_mac();
  if (!s.keys->block)
    s.keys->block = keysched::tls12::key_block(mac, s.params.aead, ByteView(s.client_random), ByteView(s.server_random));
  const keysched::tls12::KeyBlock& kb = *s.keys->block;
  const bool client_keys = (side == Side::client) == (direction == Direction::write);
  TrafficKeys t;
  t.epoch = KeyEpoch::application;
  t.aead = s.params.aead;
  t.hash = s.params.hash;
  t.form = record::RecordForm::tls12;
  t.key = (client_keys ? kb.client_write_key : kb.server_write_key).view();
  t.iv = (client_keys ? kb.client_write_iv : kb.server_write_iv).view();
  return io.install_keys(direction, t);
}

Bytes server_key_exchange_content(ByteView client_random, ByteView server_random,
                                  const wire::ServerKeyExchangeEcdhe& ske) {
  Bytes content(client_random.begin(), client_random.end());
  content.insert(content.end(), server_random.begin(), server_random.end());
  wire::Writer w(content);
  ske.encode_params(w);
  return content;
}

bool tls12_ecdsa_scheme(SignatureScheme s) {
  using K = crypto::KeyType;
  return crypto::scheme_matches_key(s, K::ec_p256) || crypto::scheme_matches_key(s, K::ec_p384) ||
         crypto::scheme_matches_key(s, K::ec_p521) || crypto::scheme_matches_key(s, K::ed25519);
}

bool tls12_rsa_scheme(SignatureScheme s) {
  return crypto::scheme_matches_key(s, crypto::KeyType::rsa) || crypto::scheme_matches_key(s, crypto::KeyType::rsa_pss);
}

bool tls12_handshake_scheme(SignatureScheme s) { return tls12_ecdsa_scheme(s) || tls12_rsa_scheme(s); }

Status tls12_verify(const crypto::PublicKey& key, SignatureScheme scheme, ByteView content, ByteView signature) {
  if (scheme == SignatureScheme::ecdsa_secp256r1_sha256 || scheme == SignatureScheme::ecdsa_secp384r1_sha384 ||
      scheme == SignatureScheme::ecdsa_secp521r1_sha512)
    return crypto::verify_ecdsa_any_curve(key, scheme, content, signature);
  return crypto::verify(key, scheme, content, signature);
}

crypto::Digest tls12_transcript_hash(crypto::HashAlg hash, ByteView messages) {
  return crypto::HashCtx::digest(hash, messages);
}

namespace {

// Renegotiation attempts a peer may make without application data between them before we
// call it a flood. Each is refused with a warning and costs us nothing else. No more than
// the warnings a TLS 1.2 peer accepts in a row (conn/core.cc, kMaxWarningAlerts), so that a
// tlspp peer is never the one to give up first.
constexpr unsigned kMaxRenegotiationAttempts = 4;

class Tls12Connected final : public Connected {
 public:
  Tls12Connected(Side side, Tls12Session s) : side_(side), s_(std::move(s)) {}

  Status handle(Io& io, ByteView message) override {
    wire::Reader r(message);
    auto m = wire::read_handshake(r);
    if (!m) return fail(m.error());
    // RFC 5746 §4.2 and §4.4, RFC 5246 §7.4.1.1-2: tlspp never renegotiates. A client answers
    // a HelloRequest, and a server a renegotiating ClientHello, with a no_renegotiation
    // warning; the connection carries on as before.
    const bool client_hello_request = side_ == Side::client && m->type == wire::HandshakeType::hello_request;
    const bool server_client_hello = side_ == Side::server && m->type == wire::HandshakeType::client_hello;
    if (!client_hello_request && !server_client_hello)
      return fail(Error::unexpected(std::string(wire::handshake_type_name(m->type)) + " received after the handshake"));
    if (client_hello_request && !m->body.empty()) return fail(Error::decode("HelloRequest with a non-empty body"));
    if (++attempts_ > kMaxRenegotiationAttempts)
      return fail(Error::unexpected("too many renegotiation attempts without application data"));
    io.message_received({client_hello_request ? MessageType::hello_request : MessageType::client_hello},
                        m->whole.size(),
                        io.tracing() ? Details{{"renegotiation", "refused (no_renegotiation warning)"}} : Details{});
    io.send_warning(AlertDescription::no_renegotiation);
    return {};
  }

  bool can_update_keys() const override { return false; }
  Status update_keys(Io&, bool) override { return fail(Error::config("TLS 1.2 has no KeyUpdate")); }
  void application_data_received() override { attempts_ = 0; }

  Status export_keying_material(std::string_view label, ByteView context, MutByteView out) const override {
    // RFC 7627 §5.4: without the extended master secret, exporter values of two connections
    // can be made to match (the triple handshake attack); refuse them.
    if (!s_.extended_master_secret)
      return fail(Error::config(
          "exporter refused: the TLS 1.2 session does not use the extended master secret (RFC 7627 §5.4)"));
    return keysched::tls12::export_keying_material(s_.params.hash, s_.master.view(), label, ByteView(s_.client_random),
                                                   ByteView(s_.server_random), &context, out);
  }

 private:
  Side side_;
  Tls12Session s_;
  unsigned attempts_ = 0;
};

}  // namespace

std::unique_ptr<Connected> make_tls12_connected(Side side, Tls12Session session) {
  session.keys.reset();  // both directions are installed
  return std::make_unique<Tls12Connected>(side, std::move(session));
}

}  // namespace tlspp::handshake
