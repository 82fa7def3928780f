// The TLS 1.2 client handshake (RFC 5246 §7.3, RFC 8422 ECDHE, RFC 7627, RFC 5746, RFC 5077),
// continuing from the ClientHello of handshake/client_hello.cc, one message at a time:
//
//   ExpectServerHello -+-> ExpectCertificate -> ExpectServerKeyExchange
//                      |   -> ExpectCertificateRequestOrDone -> [ExpectServerHelloDone]
//                      |   -> [Certificate], ClientKeyExchange, [CertificateVerify], CCS, Finished
//                      |   -> [ExpectNewSessionTicket] -> ExpectChangeCipherSpec -> ExpectFinished
//                      +-> (resumed) [ExpectNewSessionTicket] -> ExpectChangeCipherSpec
//                          -> ExpectFinished -> CCS, Finished
//   -> Connected
#include <algorithm>
#include <optional>

#include "crypto/kx.h"
#include "handshake/client_hello.h"
#include "handshake/config_impl.h"
#include "handshake/tls12_common.h"
#include "wire/messages.h"

namespace tlspp::handshake {
namespace {

using wire::ExtensionType;
using wire::HandshakeType;
namespace tls12 = keysched::tls12;

enum class State : uint8_t {
  expect_server_hello,
  expect_certificate,
  expect_server_key_exchange,
  expect_certificate_request_or_done,
  expect_server_hello_done,
  expect_new_session_ticket,
  expect_change_cipher_spec,
  expect_finished,
  connected,
};

std::string_view state_name_of(State s) {
  switch (s) {
    case State::expect_server_hello: return "ExpectServerHello";
    case State::expect_certificate: return "ExpectCertificate";
    case State::expect_server_key_exchange: return "ExpectServerKeyExchange";
    case State::expect_certificate_request_or_done: return "ExpectCertificateRequestOrServerHelloDone";
    case State::expect_server_hello_done: return "ExpectServerHelloDone";
    case State::expect_new_session_ticket: return "ExpectNewSessionTicket";
    case State::expect_change_cipher_spec: return "ExpectChangeCipherSpec";
    case State::expect_finished: return "ExpectFinished";
    case State::connected: return "Connected";
  }
  return "?";
}

// The extensions a TLS 1.2 ServerHello may carry (RFC 6066, 8422, 7301, 7627, 5077, 5746).
bool tls12_server_hello_extension(uint16_t type) {
  switch (static_cast<ExtensionType>(type)) {
    case ExtensionType::server_name:
    case ExtensionType::ec_point_formats:
    case ExtensionType::application_layer_protocol_negotiation:
    case ExtensionType::extended_master_secret:
    case ExtensionType::session_ticket:
    case ExtensionType::renegotiation_info:
    case ExtensionType::record_size_limit:        // RFC 8449 §4
    case ExtensionType::server_certificate_type:  // RFC 7250 §4.2, refused below unless X.509
    case ExtensionType::client_certificate_type: return true;
    default: return false;
  }
}

// HelloRequests a server may send during the handshake; RFC 5246 §7.4.1.1 has the client
// ignore them, but not without end.
constexpr unsigned kMaxIgnoredHelloRequests = 8;
// RFC 5077 §3.3 leaves the lifetime hint optional (0: unspecified); such sessions are kept
// for two hours, as tlspp's servers issue them.
constexpr uint32_t kDefaultSessionLifetime = 7200;

class Tls12Client final : public ClientHandshake {
 public:
  explicit Tls12Client(ClientOffer offer) : o_(std::move(offer)), opts_(o_.opts) {
    if (o_.ticket && o_.ticket->version != ProtocolVersion::tls12) o_.ticket.reset();
    messages_ = std::move(o_.client_hello);  // the transcript starts with it
  }

  Status handle(Io& io, ByteView message) override;
  bool done() const override { return state_ == State::connected; }
  // RFC 5246 §7.1: the server's ChangeCipherSpec comes just before its Finished.
  bool ccs_allowed() const override {
    return state_ == State::expect_change_cipher_spec || state_ == State::expect_new_session_ticket;
  }
  Status change_cipher_spec(Io& io) override;
  std::string_view state_name() const override { return state_name_of(state_); }

 private:
  Status first_server_hello(Io& io, const wire::HandshakeMessage& m, const wire::ServerHello& sh) override {
    return on_server_hello(io, m, sh);
  }
  Status on_server_hello(Io& io, const wire::HandshakeMessage& m, const wire::ServerHello& sh);
  Status check_server_hello(const wire::ServerHello& sh);
  Status check_server_hello_extensions(Io& io, const wire::ServerHello& sh);
  Status resume_session(Io& io, const wire::ServerHello& sh);
  Status on_certificate(Io& io, const wire::HandshakeMessage& m);
  Status on_server_key_exchange(Io& io, const wire::HandshakeMessage& m);
  Status on_certificate_request(Io& io, const wire::HandshakeMessage& m);
  Status on_server_hello_done(Io& io, const wire::HandshakeMessage& m);
  Status send_client_certificate(Io& io, const LoadedCertificate*& chosen, SignatureScheme& scheme);
  Status send_client_key_exchange(Io& io);
  Status on_new_session_ticket(Io& io, const wire::HandshakeMessage& m);
  Status on_finished(Io& io, const wire::HandshakeMessage& m);
  Status send_change_cipher_spec_and_finished(Io& io);
  void add(ByteView message) { messages_.insert(messages_.end(), message.begin(), message.end()); }
  [[nodiscard]] crypto::Digest transcript_hash() const { return tls12_transcript_hash(s_.params.hash, messages_); }
  void deliver_session(Io& io);
  void log_secret(Io& io);

  ClientOffer o_;
  const ClientOptions& opts_;
  State state_ = State::expect_server_hello;
  Bytes messages_;  // every handshake message so far (RFC 5246 §7.4.8, §7.4.9)
  Tls12Session s_;
  bool resumed_ = false;
  bool expect_ticket_ = false;  // the server sent session_ticket: a NewSessionTicket follows
  Bytes server_session_id_;
  Bytes new_ticket_;
  uint32_t ticket_lifetime_ = 0;
  crypto::PublicKey server_key_;
  std::optional<crypto::KeyShare> share_;
  Bytes server_point_;
  bool cert_requested_ = false;
  std::vector<SignatureScheme> server_sig_algs_;
  unsigned hello_requests_ = 0;
};

Status Tls12Client::handle(Io& io, ByteView message) {
  wire::Reader r(message);
  auto m = wire::read_handshake(r);
  if (!m) return fail(m.error());
  if (m->type == HandshakeType::hello_request && state_ != State::expect_server_hello) {
    // RFC 5246 §7.4.1.1: "This message will be ignored by the client if the client is
    // currently negotiating a session." It is not part of the transcript.
    if (!m->body.empty()) return fail(Error::decode("HelloRequest with a non-empty body"));
    if (++hello_requests_ > kMaxIgnoredHelloRequests)
      return fail(Error::unexpected("too many HelloRequests during the handshake"));
    io.message_received({MessageType::hello_request}, m->whole.size(), {});
    return {};
  }
  const auto unexpected = [&] {
    return fail(Error::unexpected(std::string(wire::handshake_type_name(m->type)) + " received in state " +
                                  std::string(state_name())));
  };
  switch (state_) {
    case State::expect_server_hello:
      // The ServerHello came through first_server_hello(); TLS 1.2 has no second one.
      if (m->type != HandshakeType::server_hello) return unexpected();
      return fail(Error::internal("TLS 1.2 ServerHello outside first_server_hello"));
    case State::expect_certificate:
      if (m->type != HandshakeType::certificate) return unexpected();
      return on_certificate(io, *m);
    case State::expect_server_key_exchange:
      if (m->type != HandshakeType::server_key_exchange) return unexpected();
      return on_server_key_exchange(io, *m);
    case State::expect_certificate_request_or_done:
      if (m->type == HandshakeType::certificate_request) return on_certificate_request(io, *m);
      [[fallthrough]];
    case State::expect_server_hello_done:
      if (m->type != HandshakeType::server_hello_done) return unexpected();
      return on_server_hello_done(io, *m);
    case State::expect_new_session_ticket:
      if (m->type != HandshakeType::new_session_ticket) return unexpected();
      return on_new_session_ticket(io, *m);
    case State::expect_finished:
      if (m->type != HandshakeType::finished) return unexpected();
      return on_finished(io, *m);
    default:
      return unexpected();
  }
}

Status Tls12Client::check_server_hello(const wire::ServerHello& sh) {
  // RFC 5246 §7.4.1.3: a suite and compression method the client offered.
  if (!o_.suite_offered(sh.cipher_suite) || !tls12_suite(sh.cipher_suite))
    return fail(Error::illegal("ServerHello chose cipher suite " + std::string(cipher_suite_name(sh.cipher_suite)) +
                               ", which was not offered for TLS 1.2"));
  if (sh.legacy_compression_method != 0) return fail(Error::illegal("ServerHello chose a compression method"));
  if (sh.legacy_session_id_echo.size() > 32) return fail(Error::decode("ServerHello session ID over 32 bytes"));
  // §7.4.1.4: only extensions the client offered, and only TLS 1.2 ones.
  for (const auto& e : sh.extensions) {
    if (std::find(o_.offered.begin(), o_.offered.end(), e.type) == o_.offered.end())
      return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::unsupported_extension,
                        "ServerHello carries extension " + std::string(wire::extension_type_name(e.ext_type())) +
                            ", which the client did not offer"});
    if (!tls12_server_hello_extension(e.type))
      return fail(Error::illegal("TLS 1.2 ServerHello carries the TLS 1.3 extension " +
                                 std::string(wire::extension_type_name(e.ext_type()))));
  }
  return {};
}

Status Tls12Client::check_server_hello_extensions(Io& io, const wire::ServerHello& sh) {
  const auto find = [&](ExtensionType t) { return wire::find_extension(sh.extensions, t); };
  // RFC 5746 §3.4: the server must show it supports secure renegotiation with an empty
  // renegotiation_info; tlspp does not talk to servers that cannot (a prefix could be
  // spliced before this handshake, §1).
  const auto* ri = find(ExtensionType::renegotiation_info);
  if (!ri)
    return fail(Error{ErrorKind::peer_incompatible, AlertDescription::handshake_failure,
                      "the server does not support secure renegotiation (no renegotiation_info, RFC 5746)"});
  auto info = wire::RenegotiationInfo::decode(ri->data);
  if (!info) return fail(info.error());
  if (!info->renegotiated_connection.empty())
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::handshake_failure,
                      "ServerHello renegotiation_info is not empty on an initial handshake (RFC 5746 §3.4)"});
  if (const auto* pf = find(ExtensionType::ec_point_formats)) {
    auto formats = wire::EcPointFormats::decode(pf->data);
    if (!formats) return fail(formats.error());
    // RFC 8422 §5.2: the server must support uncompressed points.
    if (std::find(formats->formats.begin(), formats->formats.end(), wire::EcPointFormats::kUncompressed) ==
        formats->formats.end())
      return fail(Error::illegal("ServerHello ec_point_formats lacks the uncompressed format"));
  }
  // RFC 7250: tlspp implements raw public keys only for TLS 1.3, and offers them in a
  // ClientHello that also offers TLS 1.2; a TLS 1.2 server may still select X.509.
  for (auto t : {ExtensionType::server_certificate_type, ExtensionType::client_certificate_type})
    if (const auto* e = find(t)) {
      auto sel = wire::CertificateTypeSelected::decode(e->data);
      if (!sel) return fail(sel.error());
      if (sel->type != wire::CertificateTypeList::kX509)
        return fail(Error{ErrorKind::peer_incompatible, AlertDescription::unsupported_certificate,
                          "TLS 1.2 server selected certificate type " + std::to_string(sel->type) + " in " +
                              std::string(wire::extension_type_name(t)) +
                              "; tlspp supports raw public keys (RFC 7250) only with TLS 1.3"});
    }
  // RFC 8449 §4: the server's limit bounds our protected records; ours, answered, bounds its.
  TLSPP_TRY_ASSIGN(const uint16_t server_limit, record_size_limit_in(sh.extensions));
  if (server_limit)
    io.set_record_size_limits(ProtocolVersion::tls12, server_limit, own_record_size_limit(opts_, ProtocolVersion::tls12));
  if (const auto* e = find(ExtensionType::application_layer_protocol_negotiation)) {
    auto alpn = wire::ProtocolNameList::decode(e->data, wire::ExtensionContext::encrypted_extensions);
    if (!alpn) return fail(alpn.error());
    // RFC 7301 §3.1: exactly one of the client's protocols.
    const std::string chosen = to_string(alpn->names.front());
    if (std::find(opts_.alpn.begin(), opts_.alpn.end(), chosen) == opts_.alpn.end())
      return fail(Error::illegal("server selected ALPN protocol '" + chosen + "', which was not offered"));
    io.negotiated().alpn = chosen;
  }
  return {};
}

Status Tls12Client::on_server_hello(Io& io, const wire::HandshakeMessage& m, const wire::ServerHello& sh) {
  TLSPP_TRY(check_server_hello(sh));
  const auto find = [&](ExtensionType t) { return wire::find_extension(sh.extensions, t); };
  TLSPP_TRY(check_server_hello_extensions(io, sh));
  auto& neg = io.negotiated();
  s_.suite = sh.cipher_suite;
  s_.params = *tls12_suite(sh.cipher_suite);
  s_.extended_master_secret = find(ExtensionType::extended_master_secret) != nullptr;
  std::copy(o_.random, o_.random + 32, s_.client_random);
  std::copy(sh.random.begin(), sh.random.end(), s_.server_random);
  expect_ticket_ = find(ExtensionType::session_ticket) != nullptr;
  server_session_id_.assign(sh.legacy_session_id_echo.begin(), sh.legacy_session_id_echo.end());
  // RFC 5246 §7.4.1.3 and RFC 5077 §3.4: the server resumes by echoing the session ID of
  // the session offered (or the one sent beside a ticket).
  resumed_ = o_.ticket && !sh.legacy_session_id_echo.empty() &&
             std::equal(sh.legacy_session_id_echo.begin(), sh.legacy_session_id_echo.end(), o_.session_id,
                        o_.session_id + o_.session_id_len) &&
             sh.legacy_session_id_echo.size() == o_.session_id_len;
  if (resumed_) TLSPP_TRY(resume_session(io, sh));
  neg.version = ProtocolVersion::tls12;
  neg.cipher_suite = sh.cipher_suite;
  add(m.whole);
  Details d;
  if (io.tracing()) {
    d = Details{{"version", "TLSv1.2"}, {"cipher_suite", std::string(cipher_suite_name(sh.cipher_suite))},
                {"extended_master_secret", s_.extended_master_secret ? "yes" : "no"},
                {"renegotiation_info", "secure"}};
    if (resumed_) d.emplace_back("session", "resumed");
    if (!neg.alpn.empty()) d.emplace_back("alpn", neg.alpn);
  }
  io.message_received({MessageType::server_hello}, m.whole.size(), std::move(d));
  if (resumed_) {
    log_secret(io);
    state_ = expect_ticket_ ? State::expect_new_session_ticket : State::expect_change_cipher_spec;
  } else {
    state_ = State::expect_certificate;
  }
  return {};
}

Status Tls12Client::resume_session(Io& io, const wire::ServerHello& sh) {
  auto& neg = io.negotiated();
  const SessionTicket& t = *o_.ticket;
  if (t.cipher_suite != sh.cipher_suite)
    return fail(Error::illegal("ServerHello resumed the session with a different cipher suite"));
  // RFC 7627 §5.3: a session made with the extended master secret resumes only with it.
  if (!s_.extended_master_secret)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::handshake_failure,
                      "the server resumed a session without the extended master secret it was made with"});
  s_.set_master(crypto::Secret(t.resumption_secret.view()));
  neg.resumed = true;
  neg.peer_subject = t.peer_subject;
  neg.peer_key = t.peer_key;
  neg.peer_verified = t.peer_verified;
  if (!t.alpn.empty() && neg.alpn != t.alpn)
    return fail(Error::illegal("the resumed session was made with ALPN '" + t.alpn + "', the server now chose '" +
                               neg.alpn + "'"));
  return {};
}

Status Tls12Client::on_certificate(Io& io, const wire::HandshakeMessage& m) {
  auto cert = wire::Certificate12::decode(m.body);
  if (!cert) return fail(cert.error());
  // RFC 5246 §7.4.2: the server's chain is never empty.
  if (cert->certificate_list.empty()) return fail(Error::decode("server sent an empty certificate list"));
  TLSPP_TRY_ASSIGN(server_key_, accept_server_chain(io, o_, cert->certificate_list));
  // RFC 8422 §2 / RFC 5246 §7.4.2: the key must suit the suite's authentication.
  const crypto::KeyType kt = server_key_.type();
  const bool ecdsa_key = kt == crypto::KeyType::ec_p256 || kt == crypto::KeyType::ec_p384 ||
                         kt == crypto::KeyType::ec_p521 || kt == crypto::KeyType::ed25519;
  const bool rsa_key = kt == crypto::KeyType::rsa || kt == crypto::KeyType::rsa_pss;
  if (s_.params.ecdsa ? !ecdsa_key : !rsa_key)
    return fail(Error{ErrorKind::bad_certificate, AlertDescription::unsupported_certificate,
                      "server certificate has a " + server_key_.describe() + " key, which cannot authenticate " +
                          std::string(cipher_suite_name(s_.suite))});
  add(m.whole);
  const auto& neg = io.negotiated();
  io.message_received({MessageType::certificate}, m.whole.size(),
                      io.tracing() ? Details{{"certificates", std::to_string(cert->certificate_list.size())},
                                             {"subject", neg.peer_subject},
                                             {"key", neg.peer_key},
                                             {"verified", neg.peer_verified ? "yes" : "skipped (insecure)"}}
                                   : Details{});
  state_ = State::expect_server_key_exchange;
  return {};
}

Status Tls12Client::on_server_key_exchange(Io& io, const wire::HandshakeMessage& m) {
  auto ske = wire::ServerKeyExchangeEcdhe::decode(m.body);
  if (!ske) return fail(ske.error());
  // RFC 8422 §5.4: a curve the client offered; a scheme it offered that suits the key.
  if (std::find(opts_.groups.begin(), opts_.groups.end(), ske->named_curve) == opts_.groups.end())
    return fail(Error::illegal("ServerKeyExchange uses group " + std::string(named_group_name(ske->named_curve)) +
                               ", which was not offered"));
  const auto& offered = opts_.signature_schemes;
  if (std::find(offered.begin(), offered.end(), ske->algorithm) == offered.end() ||
      !tls12_handshake_scheme(ske->algorithm) ||
      !(s_.params.ecdsa ? tls12_ecdsa_scheme(ske->algorithm) : tls12_rsa_scheme(ske->algorithm)))
    return fail(Error::illegal("ServerKeyExchange signed with " +
                               std::string(signature_scheme_name(ske->algorithm)) + ", which was not offered"));
  const Bytes content = server_key_exchange_content(ByteView(s_.client_random), ByteView(s_.server_random), *ske);
  if (auto ok = tls12_verify(server_key_, ske->algorithm, content, ske->signature); !ok)
    return fail(Error::crypto(AlertDescription::decrypt_error,
                              "ServerKeyExchange signature does not verify with the server's certificate key"));
  auto share = crypto::KeyShare::generate(ske->named_curve, io.random());
  if (!share) return fail(share.error());
  share_.emplace(std::move(*share));
  server_point_.assign(ske->public_key.begin(), ske->public_key.end());
  auto& neg = io.negotiated();
  neg.group = ske->named_curve;
  neg.signature_scheme = ske->algorithm;
  add(m.whole);
  io.message_received({MessageType::server_key_exchange}, m.whole.size(),
                      io.tracing() ? Details{{"group", std::string(named_group_name(ske->named_curve))},
                                             {"signature_scheme", std::string(signature_scheme_name(ske->algorithm))}}
                                   : Details{});
  state_ = State::expect_certificate_request_or_done;
  return {};
}

Status Tls12Client::on_certificate_request(Io& io, const wire::HandshakeMessage& m) {
  auto cr = wire::CertificateRequest12::decode(m.body);
  if (!cr) return fail(cr.error());
  cert_requested_ = true;
  server_sig_algs_ = cr->supported_signature_algorithms;
  add(m.whole);
  io.message_received({MessageType::certificate_request}, m.whole.size(),
                      io.tracing() ? Details{{"signature_algorithms",
                                              join_names(server_sig_algs_, signature_scheme_name)},
                                             {"certificate_authorities",
                                              std::to_string(cr->certificate_authorities.size())}}
                                   : Details{});
  state_ = State::expect_server_hello_done;
  return {};
}

Status Tls12Client::on_server_hello_done(Io& io, const wire::HandshakeMessage& m) {
  auto done = wire::ServerHelloDone::decode(m.body);
  if (!done) return fail(done.error());
  add(m.whole);
  io.message_received({MessageType::server_hello_done}, m.whole.size(), {});
  // RFC 5246 §7.4.6-7.4.8: [Certificate], ClientKeyExchange, [CertificateVerify].
  const LoadedCertificate* chosen = nullptr;
  SignatureScheme scheme{};
  if (cert_requested_) TLSPP_TRY(send_client_certificate(io, chosen, scheme));
  TLSPP_TRY(send_client_key_exchange(io));
  if (chosen) {
    // §7.4.8: the signature covers every handshake message so far.
    auto sig = crypto::sign(chosen->key, scheme, messages_);
    if (!sig) return fail(sig.error());
    TLSPP_TRY_ASSIGN(const Bytes cv, wire::encode_message(wire::CertificateVerify{scheme, *sig}));
    add(cv);
    io.send_message({MessageType::certificate_verify}, cv,
                    io.tracing() ? Details{{"signature_scheme", std::string(signature_scheme_name(scheme))}}
                                 : Details{});
  }
  TLSPP_TRY(send_change_cipher_spec_and_finished(io));
  state_ = expect_ticket_ ? State::expect_new_session_ticket : State::expect_change_cipher_spec;
  return {};
}

Status Tls12Client::send_client_certificate(Io& io, const LoadedCertificate*& chosen, SignatureScheme& scheme) {
  // RFC 5246 §7.4.6: a certificate the server's signature_algorithms allow, or an empty
  // list when there is none.
  const auto choice = choose_certificate(o_.config->impl().certificates, "", server_sig_algs_, {},
                                         tls12_handshake_scheme);
  chosen = choice ? choice->certificate : nullptr;
  if (choice) scheme = choice->scheme;
  wire::Certificate12 cert;
  if (chosen)
    for (const auto& der : chosen->chain) cert.certificate_list.push_back(der);
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(cert));
  add(msg);
  Details d;
  if (io.tracing())
    d = Details{{"certificates", std::to_string(cert.certificate_list.size())},
                {"subject", chosen ? chosen->subject : "(none)"}};
  io.send_message({MessageType::certificate}, msg, std::move(d));
  return {};
}

Status Tls12Client::send_client_key_exchange(Io& io) {
  // RFC 8422 §5.7: our ephemeral public point; the premaster secret is the shared x-coordinate
  // (or X25519 output, RFC 8422 §5.11).
  auto premaster = share_->agree(server_point_);
  if (!premaster) return fail(premaster.error());
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(wire::ClientKeyExchangeEcdhe{share_->public_bytes()}));
  add(msg);
  share_.reset();
  // RFC 7627 §4: the session hash covers the handshake through ClientKeyExchange.
  s_.set_master(s_.extended_master_secret
                    ? tls12::extended_master_secret(s_.params.hash, premaster->view(), transcript_hash().view())
                    : tls12::master_secret(s_.params.hash, premaster->view(), ByteView(s_.client_random),
                                           ByteView(s_.server_random)));
  io.send_message({MessageType::client_key_exchange}, msg,
                  io.tracing() ? Details{{"group", std::string(named_group_name(io.negotiated().group))}} : Details{});
  log_secret(io);
  return {};
}

Status Tls12Client::send_change_cipher_spec_and_finished(Io& io) {
  // RFC 5246 §7.1, §7.4.9: ChangeCipherSpec, then Finished under the new keys.
  io.send_change_cipher_spec();
  TLSPP_TRY(install_tls12_keys(io, Direction::write, Side::client, s_));
  const auto verify = tls12::finished_verify_data(s_.master_mac(), true, transcript_hash().view());
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(wire::Finished{verify}));
  add(msg);
  io.send_message({MessageType::finished}, msg,
                  io.tracing() ? Details{{"verify_data", hex_string(verify)}} : Details{});
  return {};
}

Status Tls12Client::on_new_session_ticket(Io& io, const wire::HandshakeMessage& m) {
  auto nst = wire::NewSessionTicket12::decode(m.body);
  if (!nst) return fail(nst.error());
  new_ticket_.assign(nst->ticket.begin(), nst->ticket.end());
  ticket_lifetime_ = nst->ticket_lifetime_hint;
  add(m.whole);
  io.message_received({MessageType::new_session_ticket}, m.whole.size(),
                      io.tracing() ? Details{{"lifetime_hint", std::to_string(ticket_lifetime_) + " s"},
                                             {"ticket", std::to_string(new_ticket_.size()) + " bytes"}}
                                   : Details{});
  state_ = State::expect_change_cipher_spec;
  return {};
}

Status Tls12Client::change_cipher_spec(Io& io) {
  // RFC 5077 §3.3: a server that sent session_ticket sends NewSessionTicket before its
  // ChangeCipherSpec.
  if (state_ == State::expect_new_session_ticket)
    return fail(Error::unexpected("ChangeCipherSpec received before the promised NewSessionTicket"));
  TLSPP_TRY(install_tls12_keys(io, Direction::read, Side::client, s_));
  state_ = State::expect_finished;
  return {};
}

Status Tls12Client::on_finished(Io& io, const wire::HandshakeMessage& m) {
  auto fin = wire::Finished::decode(m.body, tls12::kVerifyDataLen);
  if (!fin) return fail(fin.error());
  if (!tls12::finished_matches(s_.master_mac(), false, transcript_hash().view(), fin->verify_data))
    return fail(Error::crypto(AlertDescription::decrypt_error, "server Finished does not verify"));
  add(m.whole);
  io.message_received({MessageType::finished}, m.whole.size(),
                      io.tracing() ? Details{{"verify_data", hex_string(fin->verify_data)}} : Details{});
  // RFC 5246 §7.3: in an abbreviated handshake the client's Finished comes last.
  if (resumed_) TLSPP_TRY(send_change_cipher_spec_and_finished(io));
  deliver_session(io);
  Bytes().swap(messages_);
  state_ = State::connected;
  io.handshake_complete(make_tls12_connected(Side::client, std::move(s_)));
  return {};
}

void Tls12Client::log_secret(Io& io) { io.log_secret("CLIENT_RANDOM", s_.master.view()); }

void Tls12Client::deliver_session(Io& io) {
  // A session is worth keeping only with the extended master secret (RFC 7627 §5.3) and
  // something to resume it by: a session ID or a ticket.
  const bool have_new_ticket = !new_ticket_.empty();
  if (!s_.extended_master_secret || (server_session_id_.empty() && !have_new_ticket && !resumed_)) return;
  // A resumed session is handed back as it was offered (its master secret is the one in use),
  // moved: the handshake needs the offer no longer.
  SessionTicket t = resumed_ ? std::move(*o_.ticket) : SessionTicket{};
  o_.ticket.reset();
  const Negotiated& n = io.negotiated();
  t.version = ProtocolVersion::tls12;
  t.cipher_suite = s_.suite;
  t.extended_master_secret = true;
  if (!resumed_) {
    t.resumption_secret.assign(s_.master.view());
    t.session_id = server_session_id_;
    t.server_name = o_.server_name.str();
    t.alpn = n.alpn;
    t.peer_subject = n.peer_subject;
    t.peer_key = n.peer_key;
    t.peer_verified = n.peer_verified;
    t.received_at = io.now();
    t.lifetime_seconds = kDefaultSessionLifetime;
  }
  if (have_new_ticket) {
    t.ticket = new_ticket_;
    t.received_at = io.now();
    t.lifetime_seconds = ticket_lifetime_ ? ticket_lifetime_ : kDefaultSessionLifetime;
  }
  io.session_received(std::move(t));
}

}  // namespace

std::unique_ptr<ClientHandshake> make_tls12_client(ClientOffer offer) { return std::make_unique<Tls12Client>(std::move(offer)); }

}  // namespace tlspp::handshake
