#include "handshake/client_hello.h"

#include <algorithm>
#include <optional>

#include "crypto/kx.h"
#include "handshake/config_impl.h"
#include "handshake/common.h"
#include "handshake/tls13_connected.h"
#include "keysched/tls13.h"
#include "keysched/transcript.h"
#include "pki/certificate.h"
#include "pki/hostname.h"
#include "pki/verify.h"
#include "wire/messages.h"

namespace tlspp::handshake {
namespace {

using wire::ExtensionContext;
using wire::ExtensionType;
using wire::HandshakeType;

enum class State : uint8_t {
  expect_server_hello,
  expect_encrypted_extensions,
  expect_certificate_or_request,
  expect_certificate,
  expect_certificate_verify,
  expect_finished,
  connected,
};

std::string_view state_name_of(State s) {
  switch (s) {
    case State::expect_server_hello:
      return "ExpectServerHello";
    case State::expect_encrypted_extensions:
      return "ExpectEncryptedExtensions";
    case State::expect_certificate_or_request:
      return "ExpectCertificateOrCertificateRequest";
    case State::expect_certificate:
      return "ExpectCertificate";
    case State::expect_certificate_verify:
      return "ExpectCertificateVerify";
    case State::expect_finished:
      return "ExpectFinished";
    case State::connected:
      return "Connected";
  }
  return "?";
}

class Tls13Client final : public ClientHandshake {
 public:
  explicit Tls13Client(ClientOffer offer)
      : o_(std::move(offer)), config_(o_.config), opts_(o_.opts), transcript_(o_.transcript) {
    if (o_.ticket && o_.ticket->version != ProtocolVersion::tls13) o_.ticket.reset();
  }

  Status handle(Io& io, ByteView message) override;
  bool done() const override { return state_ == State::connected; }
  bool ccs_allowed() const override { return state_ != State::connected; }
  std::string_view state_name() const override { return state_name_of(state_); }

 private:
  Status first_server_hello(Io& io, const wire::HandshakeMessage& m, const wire::ServerHello& sh) override {
    return on_server_hello(io, m, sh);
  }
  Status on_server_hello(Io& io, const wire::HandshakeMessage& m, const wire::ServerHello& sh);
  Status on_hello_retry_request(Io& io, const wire::ServerHello& hrr, ByteView whole);
  Result<crypto::Secret> agree_key_share(const wire::ServerHello& sh, NamedGroup& group);
  Status install_handshake_write_keys(Io& io);
  Status check_psk_selected(const wire::ServerHello& sh);
  Status enter_handshake_keys(Io& io, const crypto::Secret& shared);
  Status on_encrypted_extensions(Io& io, const wire::HandshakeMessage& m);
  Status on_certificate_request(Io& io, const wire::HandshakeMessage& m);
  Status on_certificate(Io& io, const wire::HandshakeMessage& m);
  Status on_certificate_verify(Io& io, const wire::HandshakeMessage& m);
  Status on_finished(Io& io, const wire::HandshakeMessage& m);
  Status send_client_auth(Io& io);
  Status read_certificate_types(std::span<const wire::Extension> exts, Details* d);
  PostHandshakeAuth post_handshake_auth(Io& io) const;
  Status check_hello_common(const wire::ServerHello& sh, std::string_view what);

  // What the ClientHello offered (random, session ID, key share, cookie, the ticket).
  ClientOffer o_;
  std::shared_ptr<const ClientConfig> config_;
  const ClientOptions& opts_;
  State state_ = State::expect_server_hello;
  std::optional<CipherSuite> hrr_suite_;
  bool psk_accepted_ = false;
  bool early_accepted_ = false;

  SuiteParams suite_{};
  keysched::Transcript& transcript_;
  std::optional<keysched::HandshakeSecret> hs_secret_;
  crypto::Secret client_hs_, server_hs_;
  crypto::PublicKey server_key_;
  bool cert_requested_ = false;
  Bytes cert_request_context_;
  std::vector<SignatureScheme> server_sig_algs_, server_sig_algs_cert_;
  // RFC 7250: the server selected raw public keys for its Certificate / for ours.
  bool server_raw_ = false, client_raw_ = false;
};

Status Tls13Client::handle(Io& io, ByteView message) {
  wire::Reader r(message);
  auto m = wire::read_handshake(r);
  if (!m) return fail(m.error());
  const auto expect = [&](HandshakeType t) -> Status {
    if (m->type != t)
      return fail(Error::unexpected(std::string(wire::handshake_type_name(m->type)) + " received in state " +
                                    std::string(state_name())));
    return {};
  };
  switch (state_) {
    case State::expect_server_hello:
      TLSPP_TRY(expect(HandshakeType::server_hello));
      {
        auto sh = wire::ServerHello::decode(m->body);
        if (!sh) return fail(sh.error());
        return on_server_hello(io, *m, *sh);
      }
    case State::expect_encrypted_extensions:
      TLSPP_TRY(expect(HandshakeType::encrypted_extensions));
      return on_encrypted_extensions(io, *m);
    case State::expect_certificate_or_request:
      if (m->type == HandshakeType::certificate_request) return on_certificate_request(io, *m);
      TLSPP_TRY(expect(HandshakeType::certificate));
      return on_certificate(io, *m);
    case State::expect_certificate:
      TLSPP_TRY(expect(HandshakeType::certificate));
      return on_certificate(io, *m);
    case State::expect_certificate_verify:
      TLSPP_TRY(expect(HandshakeType::certificate_verify));
      return on_certificate_verify(io, *m);
    case State::expect_finished:
      TLSPP_TRY(expect(HandshakeType::finished));
      return on_finished(io, *m);
    default:
      return fail(Error::unexpected(std::string(wire::handshake_type_name(m->type)) + " received in state " +
                                    std::string(state_name())));
  }
}

Status Tls13Client::check_hello_common(const wire::ServerHello& sh, std::string_view what) {
  const std::string w(what);
  // RFC 8446 §4.1.3: the session id is echoed, the suite was offered, no compression.
  if (!std::equal(sh.legacy_session_id_echo.begin(), sh.legacy_session_id_echo.end(), o_.session_id,
                  o_.session_id + o_.session_id_len) ||
      sh.legacy_session_id_echo.size() != o_.session_id_len)
    return fail(Error::illegal(w + " does not echo the client's legacy_session_id"));
  if (std::find(opts_.cipher_suites.begin(), opts_.cipher_suites.end(), sh.cipher_suite) == opts_.cipher_suites.end() ||
      !tls13_suite(sh.cipher_suite))
    return fail(Error::illegal(w + " chose cipher suite " + std::string(cipher_suite_name(sh.cipher_suite)) +
                               ", which was not offered"));
  if (sh.legacy_compression_method != 0) return fail(Error::illegal(w + " chose a compression method"));
  return {};
}

Status Tls13Client::on_server_hello(Io& io, const wire::HandshakeMessage& m, const wire::ServerHello& sh) {
  const bool hrr = sh.is_hello_retry_request();
  const char* what = hrr ? "HelloRetryRequest" : "ServerHello";

  // RFC 8446 §4.1.3: a server negotiating an older version says so by the absence of
  // supported_versions; a TLS 1.3 client must then check the downgrade sentinel.
  const auto* sv = wire::find_extension(sh.extensions, ExtensionType::supported_versions);
  // The first ServerHello reaches this machine only when it selected TLS 1.3
  // (handshake/client.cc); the one after a HelloRetryRequest must select it again (§4.1.4).
  if (!sv) return fail(Error::illegal("ServerHello after a HelloRetryRequest does not select TLS 1.3"));
  auto version = wire::SupportedVersionSelected::decode(sv->data);
  if (!version) return fail(version.error());
  if (version->version != ProtocolVersion::tls13)
    return fail(Error::illegal(std::string(what) + " selected version " +
                               std::string(protocol_version_name(version->version)) + ", which was not offered"));
  TLSPP_TRY(check_hello_common(sh, what));
  // §4.2.2: a HelloRetryRequest may carry a cookie the client never offered.
  std::vector<uint16_t> allowed = o_.offered;
  if (hrr) allowed.push_back(static_cast<uint16_t>(ExtensionType::cookie));
  TLSPP_TRY(check_response_extensions(sh.extensions, sh.extension_context(), allowed, what));
  if (hrr) return on_hello_retry_request(io, sh, m.whole);

  if (hrr_suite_ && *hrr_suite_ != sh.cipher_suite)
    return fail(Error::illegal("ServerHello chose a different cipher suite than the HelloRetryRequest"));
  NamedGroup group{};
  suite_ = *tls13_suite(sh.cipher_suite);
  TLSPP_TRY(check_psk_selected(sh));
  // §4.2.9: in psk_ke mode the server supplies no key_share and the (EC)DHE input of the
  // key schedule is HashLen zeros (§7.1); only an external PSK is offered in that mode.
  const bool ke_only = o_.external_psk && opts_.psk_mode == PskMode::ke;
  const bool server_share = wire::find_extension(sh.extensions, ExtensionType::key_share) != nullptr;
  if (psk_accepted_ && ke_only && server_share)
    return fail(Error::illegal("ServerHello has a key_share, but the client asked for psk_ke (no (EC)DHE)"));
  crypto::Secret shared;
  if (psk_accepted_ && ke_only) {
    shared = crypto::Secret::zeros(crypto::hash_len(suite_.hash));
    io.negotiated().psk_without_dhe = true;
  } else {
    TLSPP_TRY_ASSIGN(shared, agree_key_share(sh, group));
  }
  transcript_.set_hash(suite_.hash);
  transcript_.add(m.whole);
  auto& neg = io.negotiated();
  neg.version = ProtocolVersion::tls13;
  neg.cipher_suite = sh.cipher_suite;
  neg.group = group;
  neg.hello_retry_request = o_.retried;
  Details shd;
  if (io.tracing())
    shd = Details{{"version", "TLSv1.3"},
                  {"cipher_suite", std::string(cipher_suite_name(sh.cipher_suite))},
                  {"key_share", group == NamedGroup{} ? std::string("none (psk_ke)") : std::string(named_group_name(group))}};
  if (io.tracing() && psk_accepted_)
    shd.emplace_back("pre_shared_key", o_.external_psk ? "accepted (external PSK)" : "accepted (resumption)");
  io.message_received({MessageType::server_hello}, m.whole.size(), std::move(shd));
  return enter_handshake_keys(io, shared);
}

Status Tls13Client::enter_handshake_keys(Io& io, const crypto::Secret& shared) {
  auto& neg = io.negotiated();

  // RFC 8446 §7.1: handshake secret and traffic secrets over ClientHello..ServerHello.
  auto early = psk_accepted_ ? keysched::EarlySecret::with_psk(suite_.hash, o_.ticket->resumption_secret.view())
                             : keysched::EarlySecret::without_psk(suite_.hash);
  hs_secret_.emplace(std::move(early).into_handshake(shared.view()));
  if (psk_accepted_ && o_.external_psk) {
    // The PSK authenticates the server (§2.2): no certificate comes.
    neg.psk_identity = opts_.external_psk->identity;
    neg.peer_key = "PSK";
  } else if (psk_accepted_) {
    // No certificate comes in a resumed handshake (§2.2): the identity is the one the
    // ticket was issued under.
    neg.resumed = true;
    neg.peer_subject = o_.ticket->peer_subject;
    neg.peer_key = o_.ticket->peer_key;
    neg.peer_verified = o_.ticket->peer_verified;
    neg.peer_raw_public_key = o_.ticket->peer_raw_public_key;
    neg.peer_spki_sha256 = o_.ticket->peer_spki_sha256;
  }
  const auto th = transcript_.hash();
  client_hs_ = hs_secret_->client_handshake_traffic_secret(th.view());
  server_hs_ = hs_secret_->server_handshake_traffic_secret(th.view());
  TLSPP_TRY(install_tls13_keys(io, Direction::read, KeyEpoch::handshake, suite_.aead, suite_.hash, server_hs_.view(),
                                 "SERVER_HANDSHAKE_TRAFFIC_SECRET"));
  // Appendix D.4: the compatibility ChangeCipherSpec goes before the client's first
  // encrypted record, unless one was sent before a second ClientHello.
  if (opts_.middlebox_compat && !o_.ccs_sent) {
    io.send_change_cipher_spec();
    o_.ccs_sent = true;
  }
  // With early data pending, the client writes under its early keys until the server has
  // said whether it takes them (EncryptedExtensions).
  const bool early_pending = o_.early && !o_.retried && psk_accepted_;
  if (o_.early && !o_.retried && !psk_accepted_) io.set_early_data(EarlyData::rejected, 0);
  if (!early_pending) TLSPP_TRY(install_handshake_write_keys(io));
  state_ = State::expect_encrypted_extensions;
  return {};
}

Status Tls13Client::install_handshake_write_keys(Io& io) {
  return install_tls13_keys(io, Direction::write, KeyEpoch::handshake, suite_.aead, suite_.hash, client_hs_.view(),
                            "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
}

Result<crypto::Secret> Tls13Client::agree_key_share(const wire::ServerHello& sh, NamedGroup& group) {
  // RFC 8446 §4.2.8: the server's share, for the group of the client's share.
  const auto* ks_ext = wire::find_extension(sh.extensions, ExtensionType::key_share);
  if (!ks_ext)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::missing_extension,
                      "ServerHello has no key_share extension"});
  auto ks = wire::KeyShareServerHello::decode(ks_ext->data);
  if (!ks) return fail(ks.error());
  if (ks->server_share.group != o_.share->group())
    return fail(Error::illegal("ServerHello key share is for group " +
                               std::string(named_group_name(ks->server_share.group)) + ", but the client sent " +
                               std::string(named_group_name(o_.share->group()))));
  auto shared = o_.share->agree(ks->server_share.key_exchange);
  if (!shared) return fail(shared.error());
  o_.share.reset();
  group = ks->server_share.group;
  return std::move(*shared);
}

Status Tls13Client::check_psk_selected(const wire::ServerHello& sh) {
  if (const auto* e = wire::find_extension(sh.extensions, ExtensionType::pre_shared_key)) {
    auto selected = wire::PreSharedKeySelected::decode(e->data);
    if (!selected) return fail(selected.error());
    // §4.2.11: the identity must be one offered, and the suite's hash the PSK's.
    if (selected->selected_identity != 0)
      return fail(Error::illegal("ServerHello selected PSK identity " + std::to_string(selected->selected_identity) +
                                 ", but one was offered"));
    if (suite_.hash != o_.psk_hash)
      return fail(Error::illegal("ServerHello accepted the PSK with a cipher suite of another hash"));
    psk_accepted_ = true;
  }
  return {};
}

Status Tls13Client::on_hello_retry_request(Io& io, const wire::ServerHello& hrr, ByteView whole) {
  // RFC 8446 §4.1.4.
  if (o_.retried) return fail(Error::unexpected("second HelloRetryRequest in one handshake"));
  o_.retried = true;
  hrr_suite_ = hrr.cipher_suite;
  std::optional<NamedGroup> group;
  if (const auto* e = wire::find_extension(hrr.extensions, ExtensionType::key_share)) {
    auto ks = wire::KeyShareHelloRetryRequest::decode(e->data);
    if (!ks) return fail(ks.error());
    group = ks->selected_group;
    if (std::find(opts_.groups.begin(), opts_.groups.end(), *group) == opts_.groups.end())
      return fail(Error::illegal("HelloRetryRequest asks for group " + std::string(named_group_name(*group)) +
                                 ", which was not offered"));
    if (*group == o_.share->group())
      return fail(Error::illegal("HelloRetryRequest asks for a key share the client already sent (" +
                                 std::string(named_group_name(*group)) + ")"));
  }
  Bytes cookie;
  if (const auto* e = wire::find_extension(hrr.extensions, ExtensionType::cookie)) {
    auto c = wire::Cookie::decode(e->data);
    if (!c) return fail(c.error());
    cookie.assign(c->cookie.begin(), c->cookie.end());
  }
  if (!group && cookie.empty()) return fail(Error::illegal("HelloRetryRequest would not change the ClientHello"));

  suite_ = *tls13_suite(hrr.cipher_suite);
  // §4.2.10: a HelloRetryRequest declines early data; the second ClientHello, without it,
  // goes in the clear.
  if (o_.early) {
    io.set_early_data(EarlyData::rejected, 0);
    io.clear_write_keys();
  }
  // §4.1.4: a PSK whose hash the retry's suite does not use is not offered again.
  if (o_.ticket && o_.psk_hash != suite_.hash) o_.ticket.reset();
  transcript_.set_hash(suite_.hash);
  transcript_.replace_with_message_hash();
  transcript_.add(whole);
  Details d;
  if (io.tracing()) d = Details{{"cipher_suite", std::string(cipher_suite_name(hrr.cipher_suite))}};
  if (io.tracing() && group) d.emplace_back("selected_group", std::string(named_group_name(*group)));
  if (io.tracing() && !cookie.empty()) d.emplace_back("cookie", std::to_string(cookie.size()) + " bytes");
  io.message_received({MessageType::hello_retry_request}, whole.size(), std::move(d));

  if (group) {
    auto share = crypto::KeyShare::generate(*group, io.random());
    if (!share) return fail(share.error());
    o_.share.emplace(std::move(*share));
  }
  o_.cookie = std::move(cookie);
  if (opts_.middlebox_compat && !o_.ccs_sent) {
    io.send_change_cipher_spec();
    o_.ccs_sent = true;
  }
  return send_client_hello(io, o_);
}

Status Tls13Client::on_encrypted_extensions(Io& io, const wire::HandshakeMessage& m) {
  auto ee = wire::EncryptedExtensions::decode(m.body);
  if (!ee) return fail(ee.error());
  TLSPP_TRY(check_response_extensions(ee->extensions, ExtensionContext::encrypted_extensions, o_.offered,
                                      "EncryptedExtensions"));
  Details d;
  auto& neg = io.negotiated();
  if (const auto* e = wire::find_extension(ee->extensions, ExtensionType::application_layer_protocol_negotiation)) {
    auto alpn = wire::ProtocolNameList::decode(e->data, ExtensionContext::encrypted_extensions);
    if (!alpn) return fail(alpn.error());
    // RFC 7301 §3.1: the server selects exactly one of the client's protocols.
    const std::string chosen = to_string(alpn->names.front());
    if (std::find(opts_.alpn.begin(), opts_.alpn.end(), chosen) == opts_.alpn.end())
      return fail(Error::illegal("server selected ALPN protocol '" + chosen + "', which was not offered"));
    neg.alpn = chosen;
    if (io.tracing()) d.emplace_back("alpn", chosen);
  }
  if (io.tracing() && wire::find_extension(ee->extensions, ExtensionType::server_name))
    d.emplace_back("server_name", "acknowledged");
  // §4.2.10: an early_data extension here says the early data was accepted (it can only be
  // here when we offered it: the offered list checked that).
  if (o_.early && !o_.retried && psk_accepted_) {
    early_accepted_ = wire::find_extension(ee->extensions, ExtensionType::early_data) != nullptr;
    if (early_accepted_ && neg.alpn != o_.ticket->alpn)
      return fail(Error::illegal("server accepted early data with ALPN '" + neg.alpn + "', not the ticket's '" +
                                 o_.ticket->alpn + "'"));
    io.set_early_data(early_accepted_ ? EarlyData::accepted : EarlyData::rejected, 0);
    if (io.tracing()) d.emplace_back("early_data", early_accepted_ ? "accepted" : "rejected");
    if (!early_accepted_) TLSPP_TRY(install_handshake_write_keys(io));
  }
  TLSPP_TRY(read_certificate_types(ee->extensions, io.tracing() ? &d : nullptr));
  // RFC 8449 §4: the server's limit bounds our protected records from now on (the Certificate
  // and Finished to come); ours is negotiated when it answered with one.
  TLSPP_TRY_ASSIGN(const uint16_t server_limit, record_size_limit_in(ee->extensions));
  if (server_limit) {
    io.set_record_size_limits(ProtocolVersion::tls13, server_limit,
                              own_record_size_limit(opts_, ProtocolVersion::tls13));
    if (io.tracing()) d.emplace_back("record_size_limit", std::to_string(server_limit));
  }
  transcript_.add(m.whole);
  io.message_received({MessageType::encrypted_extensions}, m.whole.size(), std::move(d));
  state_ = psk_accepted_ ? State::expect_finished : State::expect_certificate_or_request;
  return {};
}

Status Tls13Client::read_certificate_types(std::span<const wire::Extension> exts, Details* d) {
  // RFC 7250 §4.2: each selection is one of the types our ClientHello listed for it (that
  // the extension was offered at all, check_response_extensions has seen to).
  const auto selected = [&](ExtensionType t, bool x509_listed, bool& raw) -> Status {
    const auto* e = wire::find_extension(exts, t);
    if (!e) return {};
    auto sel = wire::CertificateTypeSelected::decode(e->data);
    if (!sel) return fail(sel.error());
    const std::string name(wire::extension_type_name(t));
    if (sel->type == wire::CertificateTypeList::kRawPublicKey)
      raw = true;
    else if (sel->type != wire::CertificateTypeList::kX509 || !x509_listed)
      return fail(Error::illegal("server selected " + name + " " + std::to_string(sel->type) +
                                 ", which the client did not list"));
    if (d) d->emplace_back(name, raw ? "RawPublicKey" : "X509");
    return {};
  };
  TLSPP_TRY(selected(ExtensionType::server_certificate_type, true, server_raw_));
  return selected(ExtensionType::client_certificate_type, !config_->impl().certificates.empty(), client_raw_);
}

// RFC 8446 §4.6.2: what answering a later CertificateRequest takes (the transcript now
// ends with our Finished).
PostHandshakeAuth Tls13Client::post_handshake_auth(Io& io) const {
  PostHandshakeAuth pha;
  pha.offered = io.negotiated().post_handshake_auth_offered;
  pha.transcript = transcript_;
  pha.client = config_;
  pha.raw_client_key = client_raw_;
  return pha;
}


Status Tls13Client::on_certificate_request(Io& io, const wire::HandshakeMessage& m) {
  auto cr = wire::CertificateRequest::decode(m.body);
  if (!cr) return fail(cr.error());
  // RFC 8446 §4.3.2: the context is empty during the handshake; signature_algorithms is
  // mandatory.
  if (!cr->certificate_request_context.empty())
    return fail(Error::illegal("CertificateRequest in the handshake has a non-empty context"));
  for (const auto& e : cr->extensions)
    if (!wire::tls13_extension_permitted(e.type, ExtensionContext::certificate_request))
      return fail(Error::illegal("CertificateRequest may not carry extension " +
                                 std::string(wire::extension_type_name(static_cast<ExtensionType>(e.type)))));
  const auto* sa = wire::find_extension(cr->extensions, ExtensionType::signature_algorithms);
  if (!sa)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::missing_extension,
                      "CertificateRequest has no signature_algorithms extension"});
  auto list = wire::SignatureSchemeList::decode(sa->data);
  if (!list) return fail(list.error());
  server_sig_algs_ = list->schemes;
  if (const auto* sc = wire::find_extension(cr->extensions, ExtensionType::signature_algorithms_cert)) {
    auto cert_list = wire::SignatureSchemeList::decode(sc->data);
    if (!cert_list) return fail(cert_list.error());
    server_sig_algs_cert_ = cert_list->schemes;
  }
  cert_requested_ = true;
  transcript_.add(m.whole);
  io.message_received({MessageType::certificate_request}, m.whole.size(),
           io.tracing() ? Details{{"signature_algorithms", join_names(server_sig_algs_, signature_scheme_name)}}
                        : Details{});
  state_ = State::expect_certificate;
  return {};
}

Status Tls13Client::on_certificate(Io& io, const wire::HandshakeMessage& m) {
  auto cert = wire::Certificate::decode(m.body);
  if (!cert) return fail(cert.error());
  if (!cert->certificate_request_context.empty())
    return fail(Error::illegal("server Certificate has a non-empty request context"));
  // RFC 8446 §4.4.2.4: an empty server certificate list is a decode_error.
  if (cert->certificate_list.empty()) return fail(Error::decode("server sent an empty certificate list"));
  if (server_raw_) {
    TLSPP_TRY_ASSIGN(server_key_, accept_raw_key_certificate(io, *cert, config_->impl().spki_pins,
                                                            opts_.min_rsa_key_bits, "server"));
    transcript_.add(m.whole);
    io.message_received({MessageType::certificate}, m.whole.size(),
                        io.tracing() ? Details{{"raw_public_key", io.negotiated().peer_key},
                                               {"spki_sha256", io.negotiated().peer_spki_sha256},
                                               {"verified", "pinned"}}
                                     : Details{});
    state_ = State::expect_certificate_verify;
    return {};
  }
  std::vector<ByteView> chain;
  for (const auto& entry : cert->certificate_list) {
    for (const auto& e : entry.extensions) {
      // §4.4.2: only extensions the client asked for; this client asks for none.
      return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::unsupported_extension,
                        "server certificate entry carries unsolicited extension " +
                            std::string(wire::extension_type_name(static_cast<ExtensionType>(e.type)))});
    }
    chain.push_back(entry.cert_data);
  }
  TLSPP_TRY_ASSIGN(server_key_, accept_server_chain(io, o_, chain));
  const auto& neg = io.negotiated();
  transcript_.add(m.whole);
  io.message_received({MessageType::certificate}, m.whole.size(),
           io.tracing() ? Details{{"certificates", std::to_string(chain.size())},
                                  {"subject", neg.peer_subject},
                                  {"key", neg.peer_key},
                                  {"verified", neg.peer_verified ? "yes" : "skipped (insecure)"}}
                        : Details{});
  state_ = State::expect_certificate_verify;
  return {};
}

Status Tls13Client::on_certificate_verify(Io& io, const wire::HandshakeMessage& m) {
  auto cv = wire::CertificateVerify::decode(m.body);
  if (!cv) return fail(cv.error());
  // RFC 8446 §4.4.3: the scheme must be one the client offered, usable in TLS 1.3, and
  // match the certificate's key.
  const auto& offered = opts_.signature_schemes;
  if (std::find(offered.begin(), offered.end(), cv->algorithm) == offered.end() ||
      !tls13_handshake_scheme(cv->algorithm))
    return fail(Error::illegal("server signed with " + std::string(signature_scheme_name(cv->algorithm)) +
                               ", which was not offered"));
  if (!crypto::scheme_matches_key(cv->algorithm, server_key_.type()))
    return fail(Error::illegal("server signed with " + std::string(signature_scheme_name(cv->algorithm)) +
                               ", which does not match its " + server_key_.describe() + " key"));
  const Bytes content = certificate_verify_content(true, transcript_.hash().view());
  if (auto v = crypto::verify(server_key_, cv->algorithm, content, cv->signature); !v)
    return fail(Error::crypto(AlertDescription::decrypt_error, "server CertificateVerify signature does not verify (" +
                                                                   std::string(signature_scheme_name(cv->algorithm)) +
                                                                   ")"));
  io.negotiated().signature_scheme = cv->algorithm;
  transcript_.add(m.whole);
  io.message_received({MessageType::certificate_verify}, m.whole.size(),
           io.tracing() ? Details{{"signature_scheme", std::string(signature_scheme_name(cv->algorithm))}} : Details{});
  state_ = State::expect_finished;
  return {};
}

Status Tls13Client::on_finished(Io& io, const wire::HandshakeMessage& m) {
  const size_t hlen = crypto::hash_len(suite_.hash);
  auto fin = wire::Finished::decode(m.body, hlen);
  if (!fin) return fail(fin.error());
  // RFC 8446 §4.4.4, compared in constant time.
  if (!keysched::finished_matches(suite_.hash, server_hs_.view(), transcript_.hash().view(), fin->verify_data))
    return fail(Error::crypto(AlertDescription::decrypt_error, "server Finished does not verify"));
  transcript_.add(m.whole);
  io.message_received({MessageType::finished}, m.whole.size(),
           io.tracing() ? Details{{"verify_data", hex_string(fin->verify_data)}} : Details{});

  auto master = std::move(*hs_secret_).into_master();
  hs_secret_.reset();
  const auto th = transcript_.hash();
  const auto c_ap = master.client_application_traffic_secret_0(th.view());
  const auto s_ap = master.server_application_traffic_secret_0(th.view());
  const auto exporter = master.exporter_master_secret(th.view());
  TLSPP_TRY(install_tls13_keys(io, Direction::read, KeyEpoch::application, suite_.aead, suite_.hash, s_ap.view(), "SERVER_TRAFFIC_SECRET_0"));

  if (early_accepted_) {
    // §4.5: EndOfEarlyData, the last message under the early keys.
    TLSPP_TRY_ASSIGN(const Bytes eoed, wire::encode_message(wire::EndOfEarlyData{}));
    transcript_.add(eoed);
    io.send_message({MessageType::end_of_early_data}, eoed, {});
    TLSPP_TRY(install_handshake_write_keys(io));
  }
  if (cert_requested_) TLSPP_TRY(send_client_auth(io));
  const auto verify = keysched::finished_verify_data(suite_.hash, client_hs_.view(), transcript_.hash().view());
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(wire::Finished{verify.view()}));
  transcript_.add(msg);
  io.send_message({MessageType::finished}, msg, io.tracing() ? Details{{"verify_data", hex_string(verify.view())}} : Details{});
  TLSPP_TRY(
      install_tls13_keys(io, Direction::write, KeyEpoch::application, suite_.aead, suite_.hash, c_ap.view(), "CLIENT_TRAFFIC_SECRET_0"));
  io.log_secret("EXPORTER_SECRET", exporter.view());
  const auto resumption_master = master.resumption_master_secret(transcript_.hash().view());
  io.handshake_complete(make_tls13_connected(
      Side::client, {suite_.hash, suite_.aead, c_ap.view(), s_ap.view(), exporter.view(), resumption_master.view()},
      post_handshake_auth(io)));
  client_hs_.wipe();
  server_hs_.wipe();
  state_ = State::connected;
  return {};
}

Status Tls13Client::send_client_auth(Io& io) {
  // RFC 8446 §4.4.2: a client asked for a certificate answers with one (matching the
  // server's signature_algorithms) or with an empty list.
  // RFC 7250 §4.2: when the server selected RawPublicKey for us, the key goes as its bare
  // SPKI (a raw key's "chain" is that one SPKI).
  const auto& pool = client_raw_ ? config_->impl().raw_keys : config_->impl().certificates;
  const auto choice = choose_certificate(pool, "", server_sig_algs_, server_sig_algs_cert_, tls13_handshake_scheme);
  const LoadedCertificate* chosen = choice ? choice->certificate : nullptr;
  const SignatureScheme scheme = choice ? choice->scheme : SignatureScheme{};
  wire::Certificate cert;
  if (chosen)
    for (const auto& der : chosen->chain) cert.certificate_list.push_back({der, {}});
  TLSPP_TRY_ASSIGN(const Bytes cmsg, wire::encode_message(cert));
  transcript_.add(cmsg);
  Details cd;
  if (io.tracing())
    cd = Details{{"certificates", std::to_string(cert.certificate_list.size())},
                 {"subject", chosen ? chosen->subject : "(none)"}};
  if (io.tracing() && chosen) cd.emplace_back("key", std::string(crypto::key_type_name(chosen->key_type)));
  io.send_message({MessageType::certificate}, cmsg, std::move(cd));
  if (!chosen) return {};
  const Bytes content = certificate_verify_content(false, transcript_.hash().view());
  auto sig = crypto::sign(chosen->key, scheme, content);
  if (!sig) return fail(sig.error());
  const wire::CertificateVerify cv{scheme, *sig};
  TLSPP_TRY_ASSIGN(const Bytes vmsg, wire::encode_message(cv));
  transcript_.add(vmsg);
  io.send_message({MessageType::certificate_verify}, vmsg,
                  io.tracing() ? Details{{"signature_scheme", std::string(signature_scheme_name(scheme))}} : Details{});
  return {};
}

}  // namespace

std::unique_ptr<ClientHandshake> make_tls13_client(ClientOffer offer) { return std::make_unique<Tls13Client>(std::move(offer)); }

}  // namespace tlspp::handshake
