#include "handshake/tls13_connected.h"

#include <algorithm>
#include <string>

#include "handshake/common.h"
#include "handshake/config_impl.h"
#include "handshake/server_common.h"
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
  Tls13Connected(Side side, const Tls13Secrets& s, PostHandshakeAuth pha)
      : pha_(pha.offered ? std::make_unique<Pha>(std::move(pha)) : nullptr),
        side_(side),
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
    if (m->type == wire::HandshakeType::certificate_request && side_ == Side::client)
      return on_certificate_request(io, *m);
    if (side_ == Side::server && pha_ && pha_->state != PhaState::idle) return on_client_auth_message(io, *m);
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

  Status request_client_certificate(Io& io) override;

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
    t.peer_raw_public_key = n.peer_raw_public_key;
    t.peer_spki_sha256 = n.peer_spki_sha256;
    if (io.tracing())
      io.message_received({MessageType::new_session_ticket}, m.whole.size(),
                          {{"lifetime", std::to_string(t.lifetime_seconds) + " s"},
                           {"ticket", std::to_string(t.ticket.size()) + " bytes"}});
    io.session_received(std::move(t));
    return {};
  }

  // RFC 8446 §4.6.2, both sides.
  Status on_certificate_request(Io& io, const wire::HandshakeMessage& m);
  Status answer_certificate_request(Io& io, ByteView context, keysched::Transcript& t,
                                    std::span<const SignatureScheme> sig_algs,
                                    std::span<const SignatureScheme> sig_algs_cert);
  Status on_client_auth_message(Io& io, const wire::HandshakeMessage& m);
  Status on_client_certificate(Io& io, const wire::HandshakeMessage& m);
  Status on_client_certificate_verify(Io& io, const wire::HandshakeMessage& m);
  Status on_client_finished(Io& io, const wire::HandshakeMessage& m);

  enum class PhaState : uint8_t { idle, expect_certificate, expect_certificate_verify, expect_finished };
  // Post-handshake authentication, kept only when the client offered it: most connections
  // never use it, and an idle connection should not carry a transcript for it.
  struct Pha {
    explicit Pha(PostHandshakeAuth b) : base(std::move(b)) {}
    PostHandshakeAuth base;
    PhaState state = PhaState::idle;
    keysched::Transcript transcript;  // the handshake's, then the current exchange
    Bytes context;
    std::vector<SignatureScheme> schemes;
    crypto::PublicKey key;
    uint8_t requests = 0;
    bool empty = false;
  };
  std::unique_ptr<Pha> pha_;

  Side side_;
  crypto::HashAlg hash_;
  crypto::AeadAlg aead_;
  crypto::Secret read_, write_, exporter_, resumption_;
  unsigned key_updates_ = 0;
  bool silent_since_update_ = false;  // no application data sent since our last KeyUpdate
};

// --- RFC 8446 §4.6.2: post-handshake client authentication ---

// Server: "ClientHello ... client Finished + CertificateRequest" is the transcript of each
// exchange; its context is unique within the connection (a counter byte, then randomness).
Status Tls13Connected::request_client_certificate(Io& io) {
  if (side_ != Side::server) return fail(Error::config("only a server requests client certificates"));
  // §4.6.2: "Servers MUST NOT send a post-handshake CertificateRequest to clients which do
  // not offer this extension."
  if (!pha_)
    return fail(Error::config("the client did not offer post_handshake_auth, so it may not be asked for a "
                              "certificate after the handshake (RFC 8446 §4.6.2)"));
  if (pha_->state != PhaState::idle) return fail(Error::config("a post-handshake certificate request is outstanding"));
  const auto& impl = pha_->base.server->impl();
  if (!impl.client_trust && impl.client_spki_pins.empty())
    return fail(Error::config("post-handshake client authentication needs client_ca_files or pinned client keys "
                              "to verify the answer with"));
  if (pha_->requests == 255) return fail(Error::config("too many post-handshake certificate requests"));
  pha_->context.assign(16, 0);
  pha_->context[0] = ++pha_->requests;
  io.random().fill(MutByteView(pha_->context).subspan(1));
  pha_->schemes.clear();
  for (auto sch : pha_->base.server->options().signature_schemes)
    if (tls13_handshake_scheme(sch)) pha_->schemes.push_back(sch);
  wire::ExtensionsBuilder b;
  b.add(wire::ExtensionType::signature_algorithms, wire::SignatureSchemeList{pha_->schemes});
  if (auto names = client_ca_names(*pha_->base.server); !names.empty())
    b.add(wire::ExtensionType::certificate_authorities, wire::CertificateAuthorities{std::move(names)});
  wire::CertificateRequest cr;
  cr.certificate_request_context = pha_->context;
  TLSPP_TRY_ASSIGN(cr.extensions, b.list());
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(cr));
  pha_->transcript = pha_->base.transcript;
  pha_->transcript.add(msg);
  io.send_message({MessageType::certificate_request}, msg,
                  io.tracing() ? Details{{"context", hex_string(pha_->context)},
                                         {"signature_algorithms", join_names(pha_->schemes, signature_scheme_name)},
                                         {"post_handshake", "yes"}}
                               : Details{});
  pha_->state = PhaState::expect_certificate;
  io.negotiated().post_handshake_auth_pending = true;
  return {};
}

// Client: answers at once with Certificate, CertificateVerify (when it has a certificate)
// and Finished, keyed from its current application traffic secret.
Status Tls13Connected::on_certificate_request(Io& io, const wire::HandshakeMessage& m) {
  // §4.6.2: "A client that receives a CertificateRequest message without having sent the
  // "post_handshake_auth" extension MUST send an "unexpected_message" fatal alert."
  if (!pha_)
    return fail(Error::unexpected(std::string(wire::handshake_type_name(m.type)) +
                                  " received after the handshake, but the client did not offer post_handshake_auth "
                                  "(RFC 8446 §4.6.2)"));
  auto cr = wire::CertificateRequest::decode(m.body);
  if (!cr) return fail(cr.error());
  for (const auto& e : cr->extensions)
    if (!wire::tls13_extension_permitted(e.type, wire::ExtensionContext::certificate_request))
      return fail(Error::illegal("CertificateRequest may not carry extension " +
                                 std::string(wire::extension_type_name(static_cast<wire::ExtensionType>(e.type)))));
  const auto* sa = wire::find_extension(cr->extensions, wire::ExtensionType::signature_algorithms);
  if (!sa)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::missing_extension,
                      "post-handshake CertificateRequest has no signature_algorithms extension"});
  auto sig_algs = wire::SignatureSchemeList::decode(sa->data);
  if (!sig_algs) return fail(sig_algs.error());
  std::vector<SignatureScheme> sig_algs_cert;
  if (const auto* sc = wire::find_extension(cr->extensions, wire::ExtensionType::signature_algorithms_cert)) {
    auto list = wire::SignatureSchemeList::decode(sc->data);
    if (!list) return fail(list.error());
    sig_algs_cert = std::move(list->schemes);
  }
  keysched::Transcript t = pha_->base.transcript;
  t.add(m.whole);
  io.message_received({MessageType::certificate_request}, m.whole.size(),
                      io.tracing() ? Details{{"context", hex_string(cr->certificate_request_context)},
                                             {"signature_algorithms", join_names(sig_algs->schemes, signature_scheme_name)},
                                             {"post_handshake", "yes"}}
                                   : Details{});
  return answer_certificate_request(io, cr->certificate_request_context, t, sig_algs->schemes, sig_algs_cert);
}

Status Tls13Connected::answer_certificate_request(Io& io, ByteView context, keysched::Transcript& t,
                                                  std::span<const SignatureScheme> sig_algs,
                                                  std::span<const SignatureScheme> sig_algs_cert) {
  const auto& impl = pha_->base.client->impl();
  const auto& pool = pha_->base.raw_client_key ? impl.raw_keys : impl.certificates;
  const auto choice = choose_certificate(pool, "", sig_algs, sig_algs_cert, tls13_handshake_scheme);
  const LoadedCertificate* chosen = choice ? choice->certificate : nullptr;
  // §4.4.2: the request's context, echoed; an empty list when nothing fits.
  wire::Certificate cert;
  cert.certificate_request_context = context;
  if (chosen)
    for (const auto& der : chosen->chain) cert.certificate_list.push_back({der, {}});
  TLSPP_TRY_ASSIGN(const Bytes cmsg, wire::encode_message(cert));
  t.add(cmsg);
  io.send_message({MessageType::certificate}, cmsg,
                  io.tracing() ? Details{{"certificates", std::to_string(cert.certificate_list.size())},
                                         {"subject", chosen ? chosen->subject : "(none)"},
                                         {"post_handshake", "yes"}}
                               : Details{});
  if (chosen) {
    const Bytes content = certificate_verify_content(false, t.hash().view());
    auto sig = crypto::sign(chosen->key, choice->scheme, content);
    if (!sig) return fail(sig.error());
    TLSPP_TRY_ASSIGN(const Bytes vmsg, wire::encode_message(wire::CertificateVerify{choice->scheme, *sig}));
    t.add(vmsg);
    io.send_message({MessageType::certificate_verify}, vmsg,
                    io.tracing() ? Details{{"signature_scheme", std::string(signature_scheme_name(choice->scheme))}}
                                 : Details{});
  }
  // §4.4: the post-handshake Finished is keyed from client_application_traffic_secret_N.
  const auto verify = keysched::finished_verify_data(hash_, write_.view(), t.hash().view());
  TLSPP_TRY_ASSIGN(const Bytes fmsg, wire::encode_message(wire::Finished{verify.view()}));
  io.send_message({MessageType::finished}, fmsg,
                  io.tracing() ? Details{{"verify_data", hex_string(verify.view())}} : Details{});
  auto& neg = io.negotiated();
  ++neg.post_handshake_auth_answers;
  neg.post_handshake_auth_declined = chosen == nullptr;
  return {};
}

Status Tls13Connected::on_client_auth_message(Io& io, const wire::HandshakeMessage& m) {
  using T = wire::HandshakeType;
  const T expected = pha_->state == PhaState::expect_certificate          ? T::certificate
                     : pha_->state == PhaState::expect_certificate_verify ? T::certificate_verify
                                                                         : T::finished;
  if (m.type != expected)
    return fail(Error::unexpected(std::string(wire::handshake_type_name(m.type)) +
                                  " received while the answer to a post-handshake CertificateRequest expects " +
                                  std::string(wire::handshake_type_name(expected))));
  if (m.type == T::certificate) return on_client_certificate(io, m);
  if (m.type == T::certificate_verify) return on_client_certificate_verify(io, m);
  return on_client_finished(io, m);
}

Status Tls13Connected::on_client_certificate(Io& io, const wire::HandshakeMessage& m) {
  auto cert = wire::Certificate::decode(m.body);
  if (!cert) return fail(cert.error());
  // §4.4.2: the context of the request it answers.
  if (!std::equal(cert->certificate_request_context.begin(), cert->certificate_request_context.end(),
                  pha_->context.begin(), pha_->context.end()))
    return fail(Error::illegal("client Certificate does not echo the post-handshake CertificateRequest's context"));
  pha_->transcript.add(m.whole);
  pha_->empty = cert->certificate_list.empty();
  if (pha_->empty) {
    io.message_received({MessageType::certificate}, m.whole.size(),
                        io.tracing() ? Details{{"certificates", "0"}, {"post_handshake", "yes"}} : Details{});
    pha_->state = PhaState::expect_finished;
    return {};
  }
  for (const auto& e : cert->certificate_list)
    if (!e.extensions.empty())
      return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::unsupported_extension,
                        "client certificate entry carries an unsolicited extension"});
  const auto& impl = pha_->base.server->impl();
  auto& neg = io.negotiated();
  if (pha_->base.raw_client_key) {
    if (cert->certificate_list.size() != 1)
      return fail(Error{ErrorKind::bad_certificate, AlertDescription::bad_certificate,
                        "client sent " + std::to_string(cert->certificate_list.size()) +
                            " entries for a raw public key, which is one SubjectPublicKeyInfo"});
    TLSPP_TRY_ASSIGN(pha_->key, accept_pinned_spki(io, cert->certificate_list[0].cert_data, impl.client_spki_pins,
                                                  pha_->base.server->options().min_rsa_key_bits, "client"));
  } else {
    if (!impl.client_trust)
      return fail(Error{ErrorKind::bad_certificate, AlertDescription::unknown_ca,
                        "client sent a certificate, but no client CA is configured to verify it"});
    std::vector<ByteView> chain;
    for (const auto& e : cert->certificate_list) chain.push_back(e.cert_data);
    neg.peer_certificates.clear();
    neg.peer_raw_public_key = false;
    TLSPP_TRY_ASSIGN(pha_->key, verify_client_chain(io, *pha_->base.server, chain));
  }
  io.message_received({MessageType::certificate}, m.whole.size(),
                      io.tracing() ? Details{{"certificates", std::to_string(cert->certificate_list.size())},
                                             {"subject", neg.peer_subject},
                                             {"key", neg.peer_key},
                                             {"post_handshake", "yes"}}
                                   : Details{});
  pha_->state = PhaState::expect_certificate_verify;
  return {};
}

Status Tls13Connected::on_client_certificate_verify(Io& io, const wire::HandshakeMessage& m) {
  auto cv = wire::CertificateVerify::decode(m.body);
  if (!cv) return fail(cv.error());
  if (std::find(pha_->schemes.begin(), pha_->schemes.end(), cv->algorithm) == pha_->schemes.end())
    return fail(Error::illegal("client signed with " + std::string(signature_scheme_name(cv->algorithm)) +
                               ", which the server did not request"));
  if (!crypto::scheme_matches_key(cv->algorithm, pha_->key.type()))
    return fail(Error::illegal("client signed with " + std::string(signature_scheme_name(cv->algorithm)) +
                               ", which does not match its " + pha_->key.describe() + " key"));
  const Bytes content = certificate_verify_content(false, pha_->transcript.hash().view());
  if (!crypto::verify(pha_->key, cv->algorithm, content, cv->signature))
    return fail(Error::crypto(AlertDescription::decrypt_error,
                              "client post-handshake CertificateVerify signature does not verify"));
  pha_->transcript.add(m.whole);
  io.message_received({MessageType::certificate_verify}, m.whole.size(),
                      io.tracing() ? Details{{"signature_scheme", std::string(signature_scheme_name(cv->algorithm))}}
                                   : Details{});
  pha_->state = PhaState::expect_finished;
  return {};
}

Status Tls13Connected::on_client_finished(Io& io, const wire::HandshakeMessage& m) {
  auto fin = wire::Finished::decode(m.body, crypto::hash_len(hash_));
  if (!fin) return fail(fin.error());
  if (!keysched::finished_matches(hash_, read_.view(), pha_->transcript.hash().view(), fin->verify_data))
    return fail(Error::crypto(AlertDescription::decrypt_error, "client post-handshake Finished does not verify"));
  io.message_received({MessageType::finished}, m.whole.size(),
                      io.tracing() ? Details{{"verify_data", hex_string(fin->verify_data)}} : Details{});
  auto& neg = io.negotiated();
  neg.post_handshake_auth_pending = false;
  ++neg.post_handshake_auth_answers;
  neg.post_handshake_auth_declined = pha_->empty;
  pha_->state = PhaState::idle;
  pha_->key = crypto::PublicKey();
  return {};
}

}  // namespace

std::unique_ptr<Connected> make_tls13_connected(Side side, const Tls13Secrets& secrets) {
  return std::make_unique<Tls13Connected>(side, secrets, PostHandshakeAuth{});
}

std::unique_ptr<Connected> make_tls13_connected(Side side, const Tls13Secrets& secrets, PostHandshakeAuth pha) {
  return std::make_unique<Tls13Connected>(side, secrets, std::move(pha));
}

}  // namespace tlspp::handshake
