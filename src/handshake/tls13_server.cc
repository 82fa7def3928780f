#include "handshake/server.h"

#include <algorithm>
#include <bitset>
#include <optional>

#include "crypto/kx.h"
#include "handshake/config_impl.h"
#include "handshake/common.h"
#include "handshake/server_common.h"
#include "handshake/sessions.h"
#include "handshake/tls13_connected.h"
#include "keysched/tls13.h"
#include "keysched/transcript.h"
#include "wire/messages.h"

namespace tlspp::handshake {
namespace {

using wire::ExtensionContext;
using wire::ExtensionType;
using wire::HandshakeType;

enum class State : uint8_t {
  expect_client_hello,
  expect_client_hello_2,
  expect_end_of_early_data,
  expect_certificate,
  expect_certificate_verify,
  expect_finished,
  connected,
};

std::string_view state_name_of(State s) {
  switch (s) {
    case State::expect_client_hello:
      return "ExpectClientHello";
    case State::expect_client_hello_2:
      return "ExpectClientHelloAfterRetry";
    case State::expect_end_of_early_data:
      return "ExpectEndOfEarlyData";
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

// The message each state waits for (nothing: none may come).
std::optional<HandshakeType> expected_in(State s) {
  switch (s) {
    case State::expect_client_hello:
    case State::expect_client_hello_2: return HandshakeType::client_hello;
    case State::expect_end_of_early_data: return HandshakeType::end_of_early_data;
    case State::expect_certificate: return HandshakeType::certificate;
    case State::expect_certificate_verify: return HandshakeType::certificate_verify;
    case State::expect_finished: return HandshakeType::finished;
    case State::connected: break;
  }
  return std::nullopt;
}

Error missing(std::string what) {
  return Error{ErrorKind::peer_misbehaved, AlertDescription::missing_extension, std::move(what)};
}

// RFC 8446 §4.1.4: a HelloRetryRequest is a function of the session id it echoes, the suite,
// the group and the cookie, so a server can rebuild it from the second ClientHello.
Result<Bytes> encode_hello_retry_request(ByteView session_id, CipherSuite suite, NamedGroup group, ByteView cookie) {
  wire::ServerHello hrr;
  hrr.random = wire::kHelloRetryRequestRandom;
  hrr.legacy_session_id_echo = session_id;
  hrr.cipher_suite = suite;
  wire::ExtensionsBuilder b;
  b.add(ExtensionType::supported_versions, wire::SupportedVersionSelected{ProtocolVersion::tls13});
  b.add(ExtensionType::key_share, wire::KeyShareHelloRetryRequest{group});
  b.add(ExtensionType::cookie, wire::Cookie{cookie});
  TLSPP_TRY_ASSIGN(hrr.extensions, b.list());
  return wire::encode_message(hrr);
}

// What a ClientHello offers, read and checked once (RFC 8446 §4.1.2, §4.2, §9.2): the facts
// the rest of the server's first flight is built from.
// The PSK the server takes (RFC 8446 §4.2.11): which offered identity, and whether it is an
// external one (then `ke_only` says psk_ke mode, without (EC)DHE) or a ticket's.
struct PskChoice {
  crypto::Secret secret;
  uint16_t index = 0;
  bool external = false;
  bool ke_only = false;
  std::string identity;
  // A ticket's: the session it holds, the client's obfuscated age, and the ticket and its
  // binder (for anti-replay).
  std::optional<StoredSession> session;
  uint32_t obfuscated_age = 0;
  Bytes ticket, binder;
};

struct Hello13 {
  std::vector<ProtocolVersion> versions;
  std::vector<SignatureScheme> sig_algs, sig_algs_cert;
  std::vector<NamedGroup> groups;
  std::bitset<65536> offered_groups;  // membership in linear time, whatever the list's length
  wire::KeyShareClientHello shares;
  CipherSuite suite{};
  std::string sni;
};

class Tls13Server final : public ServerHandshake {
 public:
  explicit Tls13Server(std::shared_ptr<const ServerConfig> config)
      : config_(std::move(config)), opts_(config_->options()) {}

  Status handle(Io& io, ByteView message) override;
  Status first_client_hello(Io& io, const wire::HandshakeMessage& m, const wire::ClientHello& ch) override {
    return on_client_hello(io, m, ch);
  }
  bool done() const override { return state_ == State::connected; }
  // RFC 8446 §5: only after the first ClientHello and before the client's Finished.
  bool ccs_allowed() const override { return state_ != State::expect_client_hello && state_ != State::connected; }
  std::string_view state_name() const override { return state_name_of(state_); }

 private:
  // The steps of the first flight, each a few dozen lines: read the hello, pick a key share
  // (or ask for one), a certificate, the transcript, a PSK, then send ServerHello,
  // EncryptedExtensions, [CertificateRequest], [Certificate, CertificateVerify], Finished.
  Status on_client_hello(Io& io, const wire::HandshakeMessage& m, const wire::ClientHello& ch);
  Result<Hello13> read_client_hello(Io& io, const wire::HandshakeMessage& m, const wire::ClientHello& ch, bool retry);
  Result<CertificateChoice> choose_server_certificate(const Hello13& h) const;
  Status choose_certificate_types(const wire::ClientHello& ch);
  Status apply_record_size_limit(Io& io, const wire::ClientHello& ch);
  PostHandshakeAuth post_handshake_auth(Io& io) const;
  Status start_transcript(const wire::ClientHello& ch, bool retry);
  Result<crypto::Secret> send_server_hello(Io& io, const wire::ClientHello& ch, const wire::KeyShareEntry* share,
                                           std::optional<uint16_t> psk_identity, bool retry, bool external_psk);
  Status send_encrypted_extensions(Io& io, const std::string& alpn, bool early_data);
  [[nodiscard]] bool accept_early_data(Io& io, const PskChoice& psk, const std::string& alpn, bool retry) const;
  Status on_end_of_early_data(Io& io, const wire::HandshakeMessage& m);
  [[nodiscard]] size_t early_skip_budget() const { return std::max<size_t>(opts_.max_early_data, 16384); }
  Status send_certificate_request(Io& io);
  Status send_certificate(Io& io, const CertificateChoice& choice);
  Status send_finished(Io& io, keysched::HandshakeSecret hs, ByteView server_hs);
  Status send_hello_retry_request(Io& io, const wire::ClientHello& ch, ByteView ch_whole, NamedGroup group);
  Status on_certificate(Io& io, const wire::HandshakeMessage& m);
  Status on_certificate_verify(Io& io, const wire::HandshakeMessage& m);
  Status on_finished(Io& io, const wire::HandshakeMessage& m);
  Status send_tickets(Io& io, ByteView resumption_master);
  Result<std::optional<PskChoice>> choose_psk(Io& io, const wire::ClientHello& ch, ByteView ch_whole,
                                              std::string_view sni, bool have_share);
  Bytes make_cookie(ByteView ch1_hash, CipherSuite suite, NamedGroup group) const;
  Result<Bytes> open_cookie(ByteView cookie, CipherSuite suite, NamedGroup group) const;

  std::shared_ptr<const ServerConfig> config_;
  const ServerOptions& opts_;
  State state_ = State::expect_client_hello;

  SuiteParams suite_{};
  CipherSuite suite_id_{};
  NamedGroup hrr_group_{};
  keysched::Transcript transcript_;
  crypto::Secret client_hs_;
  std::optional<keysched::MasterSecret> master_;
  crypto::Secret client_ap_, server_ap_, exporter_;
  std::vector<SignatureScheme> requested_schemes_;
  crypto::PublicKey client_key_;
  // RFC 7250: raw public keys for our Certificate / the client's, and the selections that
  // EncryptedExtensions echoes (set when the client sent the extension and it applies).
  bool server_raw_ = false, client_raw_ = false;
  std::optional<uint8_t> server_type_sel_, client_type_sel_;
  uint16_t record_size_limit_sent_ = 0;  // RFC 8449: our limit, in EncryptedExtensions
};

Status Tls13Server::handle(Io& io, ByteView message) {
  TLSPP_TRY_ASSIGN(const wire::HandshakeMessage m, read_expected_message(message, expected_in(state_), state_name()));
  switch (state_) {
    case State::expect_client_hello:
    case State::expect_client_hello_2: {
      auto ch = wire::ClientHello::decode(m.body);
      if (!ch) return fail(ch.error());
      return on_client_hello(io, m, *ch);
    }
    case State::expect_end_of_early_data: return on_end_of_early_data(io, m);
    case State::expect_certificate: return on_certificate(io, m);
    case State::expect_certificate_verify: return on_certificate_verify(io, m);
    case State::expect_finished: return on_finished(io, m);
    case State::connected: break;
  }
  return fail(Error::internal("no handshake message is expected in state " + std::string(state_name())));
}

// RFC 8446 §4.2.2: the cookie carries what the server needs to rebuild the transcript after
// a HelloRetryRequest (the hash of ClientHello1), bound to the suite and group it chose and
// authenticated with a per-configuration key, so that no state is kept between the hellos.
Bytes Tls13Server::make_cookie(ByteView ch1_hash, CipherSuite suite, NamedGroup group) const {
  Bytes c;
  wire::Writer w(c);
  w.u16(static_cast<uint16_t>(suite));
  w.u16(static_cast<uint16_t>(group));
  w.vec8(ch1_hash);
  const auto tag = crypto::hmac(crypto::HashAlg::sha256, config_->impl().cookie_key.view(), c);
  w.bytes(tag.view());
  return c;
}

Result<Bytes> Tls13Server::open_cookie(ByteView cookie, CipherSuite suite, NamedGroup group) const {
  const Error bad = Error::illegal("ClientHello after HelloRetryRequest carries an invalid cookie");
  if (cookie.size() < 32 + 5) return fail(bad);
  const ByteView body = cookie.first(cookie.size() - 32);
  const auto tag = crypto::hmac(crypto::HashAlg::sha256, config_->impl().cookie_key.view(), body);
  if (!crypto::ct_equal(tag.view(), cookie.last(32))) return fail(bad);
  wire::Reader r(body);
  auto s = r.u16("cookie suite");
  auto g = r.u16("cookie group");
  auto h = r.vec8("cookie hash");
  if (!s || !g || !h || !r.expect_end("cookie") || *s != static_cast<uint16_t>(suite) ||
      *g != static_cast<uint16_t>(group))
    return fail(bad);
  return Bytes(h->begin(), h->end());
}

// Session tickets are the session itself, sealed (handshake/sessions.h): the suite, issue
// time, lifetime, the PSK and the SNI of the session, so the server stores nothing (RFC
// 8446 §4.6.1 leaves the format to the server).
// RFC 8446 §4.2.11: the first offered PSK we can use with the selected suite's hash, if its
// binder verifies: an external PSK by identity, or a ticket that is ours and alive. A
// binder that fails is fatal (decrypt_error).
Result<std::optional<PskChoice>> Tls13Server::choose_psk(Io& io, const wire::ClientHello& ch, ByteView ch_whole,
                                                         std::string_view sni, bool have_share) {
  const auto* ext = wire::find_extension(ch.extensions, ExtensionType::pre_shared_key);
  if (!ext) return std::optional<PskChoice>();
  const auto* modes_ext = wire::find_extension(ch.extensions, ExtensionType::psk_key_exchange_modes);
  if (!modes_ext) return fail(missing("ClientHello offers a pre_shared_key without psk_key_exchange_modes"));
  auto modes = wire::PskKeyExchangeModes::decode(modes_ext->data);
  if (!modes) return fail(modes.error());
  auto offered = wire::OfferedPsks::decode(ext->data);
  if (!offered) return fail(offered.error());
  // §4.2.9: psk_dhe_ke when the client offers it and sent a share we took; psk_ke only for
  // external PSKs, and only where allowed.
  const bool dhe = have_share && modes->offers(wire::PskKeyExchangeMode::psk_dhe_ke);
  const bool ke = opts_.allow_psk_ke && modes->offers(wire::PskKeyExchangeMode::psk_ke);
  // Tickets resume only with (EC)DHE, and not when client certificates are asked for (a
  // ticket does not carry the client's identity).
  const bool tickets = opts_.accept_resumption && opts_.client_auth == ClientAuth::none && dhe;
  auto check_binder = [&](size_t i, ByteView key, bool external) -> Status {
    auto offset = wire::client_hello_binders_offset(ch_whole);
    if (!offset) return fail(offset.error());
    const auto h = transcript_.hash_with(ch_whole.first(*offset));
    const auto early = keysched::EarlySecret::with_psk(suite_.hash, key);
    // keysched::finished_matches compares in constant time.
    if (!keysched::finished_matches(suite_.hash, early.binder_key(external).view(), h.view(), offered->binders[i]))
      return fail(Error::crypto(AlertDescription::decrypt_error,
                                external ? "PSK binder of the external PSK '" +
                                               std::string(offered->identities[i].identity.begin(),
                                                           offered->identities[i].identity.end()) +
                                               "' does not verify (the client holds another key)"
                                         : std::string("PSK binder of the offered ticket does not verify")));
    return {};
  };
  for (size_t i = 0; i < offered->identities.size(); ++i) {
    const ByteView identity = offered->identities[i].identity;
    for (const ExternalPsk& psk : opts_.external_psks) {
      if (!(dhe || ke)) break;
      if (identity.size() != psk.identity.size() ||
          !std::equal(identity.begin(), identity.end(), psk.identity.begin()))
        continue;
      if ((psk.sha384 ? crypto::HashAlg::sha384 : crypto::HashAlg::sha256) != suite_.hash) break;
      TLSPP_TRY(check_binder(i, psk.key.view(), true));
      return std::optional<PskChoice>(PskChoice{crypto::Secret(psk.key.view()), static_cast<uint16_t>(i), true,
                                                !dhe, psk.identity, std::nullopt, 0, {}, {}});
    }
    if (!tickets) continue;
    auto state = config_->impl().tickets->open(TicketKind::tls13, io.now(), identity);
    if (!state) continue;
    const auto params = tls13_suite(state->suite);
    if (!params || params->hash != suite_.hash) continue;
    // RFC 8446 §4.2.11 / §4.6.1: a session made under one server name does not resume under
    // another (a certificate chosen by SNI may not cover it); a full handshake follows.
    if (state->server_name != sni) continue;
    TLSPP_TRY(check_binder(i, state->secret.view(), false));
    PskChoice c{state->secret, static_cast<uint16_t>(i), false, false, {}, std::move(state), 0, {}, {}};
    c.obfuscated_age = offered->identities[i].obfuscated_ticket_age;
    c.ticket.assign(identity.begin(), identity.end());
    c.binder.assign(offered->binders[i].begin(), offered->binders[i].end());
    return std::optional<PskChoice>(std::move(c));
  }
  return std::optional<PskChoice>();
}

Result<Hello13> Tls13Server::read_client_hello(Io& io, const wire::HandshakeMessage& m, const wire::ClientHello& ch,
                                               bool retry) {
  Hello13 h;
  const auto find = [&](ExtensionType t) { return wire::find_extension(ch.extensions, t); };
  // RFC 8446 §4.2.1: TLS 1.3 is negotiated only through supported_versions (the dispatcher
  // chose TLS 1.3 from it; the hello after a HelloRetryRequest must offer it again).
  const auto* sv = find(ExtensionType::supported_versions);
  if (!sv)
    return fail(Error{ErrorKind::peer_incompatible, AlertDescription::protocol_version,
                      "client offers only " + std::string(protocol_version_name(ch.legacy_version)) +
                          "; this server requires TLS 1.3"});
  auto versions = wire::SupportedVersionsList::decode(sv->data);
  if (!versions) return fail(versions.error());
  h.versions = std::move(versions->versions);
  if (std::find(h.versions.begin(), h.versions.end(), ProtocolVersion::tls13) == h.versions.end())
    return fail(
        Error{ErrorKind::peer_incompatible, AlertDescription::protocol_version, "client does not offer TLS 1.3"});
  // Appendix D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version ...
  // set to 0x0300 MUST abort the handshake with a "protocol_version" alert" (and anything
  // older is no TLS at all). Otherwise legacy_version is ignored (§4.2.1).
  if (static_cast<uint16_t>(ch.legacy_version) <= 0x0300)
    return fail(Error{ErrorKind::peer_incompatible, AlertDescription::protocol_version,
                      "ClientHello legacy_version 0x" + hex_string(ByteView(m.body.data(), 2)) +
                          " is SSL 3.0 or older, which is refused (RFC 8446 Appendix D.5)"});
  // §4.1.2: exactly the null compression method.
  if (ch.legacy_compression_methods.size() != 1 || ch.legacy_compression_methods[0] != 0)
    return fail(Error::illegal("TLS 1.3 ClientHello offers compression methods"));
  if (!retry) io.set_client_random(ch.random);

  // §9.2: without a PSK, signature_algorithms, supported_groups and key_share are mandatory.
  const auto* sa_ext = find(ExtensionType::signature_algorithms);
  const auto* sg_ext = find(ExtensionType::supported_groups);
  const auto* ks_ext = find(ExtensionType::key_share);
  if (!sa_ext) return fail(missing("ClientHello has no signature_algorithms extension"));
  if (!sg_ext) return fail(missing("ClientHello has no supported_groups extension"));
  if (!ks_ext) return fail(missing("ClientHello has no key_share extension"));
  auto sig_algs = wire::SignatureSchemeList::decode(sa_ext->data);
  if (!sig_algs) return fail(sig_algs.error());
  h.sig_algs = std::move(sig_algs->schemes);
  if (const auto* e = find(ExtensionType::signature_algorithms_cert)) {
    auto list = wire::SignatureSchemeList::decode(e->data);
    if (!list) return fail(list.error());
    h.sig_algs_cert = std::move(list->schemes);
  }
  auto groups = wire::SupportedGroups::decode(sg_ext->data);
  if (!groups) return fail(groups.error());
  h.groups = std::move(groups->groups);
  auto shares = wire::KeyShareClientHello::decode(ks_ext->data);
  if (!shares) return fail(shares.error());
  h.shares = std::move(*shares);
  for (auto g : h.groups) h.offered_groups.set(static_cast<uint16_t>(g));
  for (const auto& e : h.shares.client_shares)
    if (!h.offered_groups.test(static_cast<uint16_t>(e.group)))
      return fail(Error::illegal("ClientHello key share for " + std::string(named_group_name(e.group)) +
                                 ", which is not in its supported_groups"));

  // Cipher suite: the preferred list's first entry the other list has too.
  const auto suites = common_suites(opts_, ch.cipher_suites, [](CipherSuite c) { return tls13_suite(c).has_value(); });
  if (suites.empty()) return fail(handshake_failure("no TLS 1.3 cipher suite in common with the client"));
  h.suite = suites.front();
  if (retry && h.suite != suite_id_)
    return fail(Error::illegal("ClientHello after HelloRetryRequest changed the cipher suites"));
  TLSPP_TRY_ASSIGN(h.sni, client_server_name(ch));

  Details cd;
  if (io.tracing()) {
    cd = Details{{"versions", join_names(h.versions, protocol_version_name)},
                 {"cipher_suites", join_names(ch.cipher_suites, cipher_suite_name)},
                 {"groups", join_names(h.groups, named_group_name)},
                 {"key_shares", join_names(h.shares.client_shares,
                                           [](const wire::KeyShareEntry& e) { return named_group_name(e.group); })},
                 {"signature_algorithms", join_names(h.sig_algs, signature_scheme_name)}};
    if (!h.sni.empty()) cd.emplace_back("server_name", h.sni);
  }
  io.message_received({MessageType::client_hello, retry}, m.whole.size(), std::move(cd));
  return h;
}

Result<CertificateChoice> Tls13Server::choose_server_certificate(const Hello13& h) const {
  // RFC 8446 §4.4.2.2: by SNI, then by what the client can verify, in configured order.
  const auto& certs = server_raw_ ? config_->impl().raw_keys : config_->impl().certificates;
  const auto choice = choose_certificate(certs, h.sni, h.sig_algs, h.sig_algs_cert, tls13_handshake_scheme);
  if (!choice)
    return fail(handshake_failure("client accepts no signature scheme for the server's certificate keys (" +
                                  certificate_key_types(certs) + ")"));
  return *choice;
}

std::string certificate_type_names(ByteView types) {
  std::string s;
  for (uint8_t t : types) {
    if (!s.empty()) s += ", ";
    s += t == wire::CertificateTypeList::kX509            ? "X509"
         : t == wire::CertificateTypeList::kRawPublicKey ? "RawPublicKey"
                                                         : std::to_string(t);
  }
  return s;
}

// RFC 7250 §4.2: the first type of the client's list (its preference order) that `have`
// accepts; without the extension the type is X.509. No common type is unsupported_certificate.
Result<uint8_t> select_certificate_type(const wire::Extension* ext, bool have_x509, bool have_raw,
                                        std::string_view what) {
  using L = wire::CertificateTypeList;
  if (!ext) {
    if (have_x509) return L::kX509;
    return fail(Error{ErrorKind::peer_incompatible, AlertDescription::unsupported_certificate,
                      "client does not offer raw public keys (RFC 7250 " + std::string(what) +
                          ") and this server has only raw public keys for it"});
  }
  auto list = L::decode(ext->data);
  if (!list) return fail(list.error());
  for (uint8_t t : list->types)
    if ((t == L::kX509 && have_x509) || (t == L::kRawPublicKey && have_raw)) return t;
  return fail(Error{ErrorKind::peer_incompatible, AlertDescription::unsupported_certificate,
                    std::string(what) + ": the client lists " + certificate_type_names(list->types) +
                        ", this server has " +
                        (have_x509 && have_raw ? "X509, RawPublicKey" : have_raw ? "RawPublicKey" : "X509")});
}

Status Tls13Server::choose_certificate_types(const wire::ClientHello& ch) {
  const auto& impl = config_->impl();
  server_raw_ = client_raw_ = false;
  server_type_sel_.reset();
  client_type_sel_.reset();
  // A server with only external PSKs presents nothing: no type to select.
  if (impl.certificates.empty() && impl.raw_keys.empty()) return {};
  const auto* st = wire::find_extension(ch.extensions, ExtensionType::server_certificate_type);
  TLSPP_TRY_ASSIGN(const uint8_t server_type,
                   select_certificate_type(st, !impl.certificates.empty(), !impl.raw_keys.empty(),
                                           "server_certificate_type"));
  server_raw_ = server_type == wire::CertificateTypeList::kRawPublicKey;
  server_type_sel_.reset();
  if (st) server_type_sel_ = server_type;
  // §4.2: the client's type is selected (and echoed) only when a certificate is asked for.
  client_raw_ = false;
  client_type_sel_.reset();
  if (opts_.client_auth == ClientAuth::none) return {};
  const auto* ct = wire::find_extension(ch.extensions, ExtensionType::client_certificate_type);
  if (!ct) return {};
  TLSPP_TRY_ASSIGN(const uint8_t client_type,
                   select_certificate_type(ct, !opts_.client_ca_files.empty(), !impl.client_spki_pins.empty(),
                                           "client_certificate_type"));
  client_raw_ = client_type == wire::CertificateTypeList::kRawPublicKey;
  client_type_sel_ = client_type;
  return {};
}

Status Tls13Server::apply_record_size_limit(Io& io, const wire::ClientHello& ch) {
  // RFC 8449 §4: the client's limit bounds every protected record we send (from
  // EncryptedExtensions on); ours goes in EncryptedExtensions, only in answer to the
  // client's, and is then enforced on the client's protected records.
  TLSPP_TRY_ASSIGN(const uint16_t client_limit, record_size_limit_in(ch.extensions));
  record_size_limit_sent_ = client_limit ? own_record_size_limit(opts_, ProtocolVersion::tls13) : 0;
  if (client_limit) io.set_record_size_limits(ProtocolVersion::tls13, client_limit, record_size_limit_sent_);
  return {};
}

// RFC 8446 §4.6.2: what a later CertificateRequest takes (the transcript now ends with the
// client's Finished).
PostHandshakeAuth Tls13Server::post_handshake_auth(Io& io) const {
  PostHandshakeAuth pha;
  pha.offered = io.negotiated().post_handshake_auth_offered;
  pha.transcript = transcript_;
  pha.server = config_;
  pha.raw_client_key = client_raw_;
  return pha;
}

Status Tls13Server::start_transcript(const wire::ClientHello& ch, bool retry) {
  // After a retry the transcript is rebuilt from the cookie (§4.4.1: message_hash of
  // ClientHello1, then the HelloRetryRequest), so nothing but the cookie links the hellos.
  if (!retry) {
    transcript_.set_hash(suite_.hash);
    return {};
  }
  const auto* ce = wire::find_extension(ch.extensions, ExtensionType::cookie);
  if (!ce) return fail(Error::illegal("ClientHello after HelloRetryRequest has no cookie"));
  auto cookie = wire::Cookie::decode(ce->data);
  if (!cookie) return fail(cookie.error());
  auto ch1_hash = open_cookie(cookie->cookie, suite_id_, hrr_group_);
  if (!ch1_hash) return fail(ch1_hash.error());
  transcript_ = keysched::Transcript(suite_.hash);
  transcript_.add(wire::message_hash(*ch1_hash));
  TLSPP_TRY_ASSIGN(const Bytes hrr, encode_hello_retry_request(ch.legacy_session_id, suite_id_, hrr_group_,
                                                               cookie->cookie));
  transcript_.add(hrr);
  return {};
}

Status Tls13Server::on_client_hello(Io& io, const wire::HandshakeMessage& m, const wire::ClientHello& ch) {
  const bool retry = state_ == State::expect_client_hello_2;
  TLSPP_TRY_ASSIGN(const Hello13 h, read_client_hello(io, m, ch, retry));

  // Group: one the client sent a share for if we accept it, otherwise ask for one.
  const wire::KeyShareEntry* share = nullptr;
  for (auto g : opts_.groups)
    if ((share = h.shares.find(g))) break;
  // A client offering only psk_ke with an external PSK needs no share (§4.2.9): it is not
  // asked for one; should its PSK not be taken, the handshake fails below instead.
  const bool maybe_psk_ke = !retry && opts_.allow_psk_ke && !opts_.external_psks.empty() &&
                            wire::find_extension(ch.extensions, ExtensionType::pre_shared_key) != nullptr;
  if (!share && !maybe_psk_ke) {
    if (retry)
      return fail(Error::illegal("ClientHello after HelloRetryRequest has no key share for " +
                                 std::string(named_group_name(hrr_group_))));
    const auto group = std::find_if(opts_.groups.begin(), opts_.groups.end(),
                                    [&](NamedGroup g) { return h.offered_groups.test(static_cast<uint16_t>(g)); });
    if (group == opts_.groups.end()) return fail(handshake_failure("no key exchange group in common with the client"));
    suite_id_ = h.suite;
    suite_ = *tls13_suite(h.suite);
    // §4.2.10: early data sent with the first ClientHello is skipped by record type.
    if (wire::find_extension(ch.extensions, ExtensionType::early_data)) {
      io.set_early_data(EarlyData::rejected, 0);
      io.skip_early_data(early_skip_budget(), true);
    }
    return send_hello_retry_request(io, ch, m.whole, *group);
  }
  if (share && retry && share->group != hrr_group_)
    return fail(Error::illegal("ClientHello after HelloRetryRequest has a key share for the wrong group"));

  TLSPP_TRY(choose_certificate_types(ch));
  TLSPP_TRY(apply_record_size_limit(io, ch));
  // RFC 8446 §4.2.6: whether the client may be asked for a certificate after the handshake.
  io.negotiated().post_handshake_auth_offered =
      wire::find_extension(ch.extensions, ExtensionType::post_handshake_auth) != nullptr;
  // ALPN (RFC 7301 §3.2): the server's most preferred protocol the client offers.
  TLSPP_TRY_ASSIGN(const std::string alpn, choose_alpn(opts_, ch));
  suite_id_ = h.suite;
  suite_ = *tls13_suite(h.suite);
  TLSPP_TRY(start_transcript(ch, retry));
  auto psk = choose_psk(io, ch, m.whole, h.sni, share != nullptr);
  if (!psk) return fail(psk.error());
  const bool with_psk = psk->has_value();
  const bool external = with_psk && (*psk)->external;
  const bool resumed = with_psk && !external;
  const bool early_offered = wire::find_extension(ch.extensions, ExtensionType::early_data) != nullptr;
  const bool early_accepted = early_offered && resumed && accept_early_data(io, **psk, alpn, retry);
  if (!share && !(with_psk && (*psk)->ke_only))
    return fail(handshake_failure("the client sent no key share the server accepts and no PSK it knows"));
  // A PSK authenticates the server; otherwise its certificate does.
  CertificateChoice cert{};
  if (!with_psk) {
    if (config_->impl().certificates.empty() && config_->impl().raw_keys.empty())
      return fail(handshake_failure("the client offered no PSK the server knows, and the server has no certificate"));
    TLSPP_TRY_ASSIGN(cert, choose_server_certificate(h));
  }
  transcript_.add(m.whole);
  // §7.1: client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello).
  crypto::Secret early_traffic;
  if (early_accepted)
    early_traffic = keysched::EarlySecret::with_psk(suite_.hash, (*psk)->secret.view())
                        .client_early_traffic_secret(transcript_.hash().view());

  auto& neg = io.negotiated();
  neg.version = ProtocolVersion::tls13;
  neg.cipher_suite = h.suite;
  neg.group = share && !(with_psk && (*psk)->ke_only) ? share->group : NamedGroup{};
  neg.signature_scheme = cert.scheme;
  neg.alpn = alpn;
  neg.server_name = h.sni;
  neg.hello_retry_request = retry;
  neg.resumed = resumed;
  if (external) {
    neg.psk_identity = (*psk)->identity;
    neg.psk_without_dhe = (*psk)->ke_only;
    neg.peer_key = "PSK";
  }

  TLSPP_TRY_ASSIGN(const crypto::Secret shared,
                   send_server_hello(io, ch, with_psk && (*psk)->ke_only ? nullptr : share,
                                     with_psk ? std::optional<uint16_t>((*psk)->index) : std::nullopt, retry,
                                     external));
  // RFC 8446 §7.1: the handshake secret and traffic keys over ClientHello..ServerHello.
  auto early = with_psk ? keysched::EarlySecret::with_psk(suite_.hash, (*psk)->secret.view())
                        : keysched::EarlySecret::without_psk(suite_.hash);
  auto hs = std::move(early).into_handshake(shared.view());
  const auto th = transcript_.hash();
  client_hs_ = hs.client_handshake_traffic_secret(th.view());
  const auto server_hs = hs.server_handshake_traffic_secret(th.view());
  TLSPP_TRY(install_tls13_keys(io, Direction::write, KeyEpoch::handshake, suite_.aead, suite_.hash, server_hs.view(),
                               "SERVER_HANDSHAKE_TRAFFIC_SECRET"));
  if (early_accepted) {
    // §2.3: the client's early data comes under its early traffic keys until EndOfEarlyData.
    TLSPP_TRY(install_tls13_keys(io, Direction::read, KeyEpoch::early, suite_.aead, suite_.hash, early_traffic.view(),
                                 "CLIENT_EARLY_TRAFFIC_SECRET"));
    io.set_early_data(EarlyData::accepted, opts_.max_early_data);
  } else {
    TLSPP_TRY(install_tls13_keys(io, Direction::read, KeyEpoch::handshake, suite_.aead, suite_.hash, client_hs_.view(),
                                 "CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
    if (early_offered) io.set_early_data(EarlyData::rejected, 0);
  }

  // A PSK handshake carries no certificates either way (§2.2): no types to select.
  const bool ask_for_certificate = !with_psk && opts_.client_auth != ClientAuth::none;
  if (with_psk) server_type_sel_.reset();
  if (!ask_for_certificate) client_type_sel_.reset();
  TLSPP_TRY(send_encrypted_extensions(io, alpn, early_accepted));
  if (ask_for_certificate) TLSPP_TRY(send_certificate_request(io));
  if (!with_psk) TLSPP_TRY(send_certificate(io, cert));
  TLSPP_TRY(send_finished(io, std::move(hs), server_hs.view()));
  // §4.2.10: early data this server declines is skipped: records that do not open under the
  // client's handshake keys.
  if (early_offered && !early_accepted) io.skip_early_data(early_skip_budget(), false);
  state_ = early_accepted        ? State::expect_end_of_early_data
           : ask_for_certificate ? State::expect_certificate
                                 : State::expect_finished;
  return {};
}

Result<crypto::Secret> Tls13Server::send_server_hello(Io& io, const wire::ClientHello& ch,
                                                      const wire::KeyShareEntry* share,
                                                      std::optional<uint16_t> psk_identity, bool retry,
                                                      bool external_psk) {
  // §4.1.3 with our key share (§4.2.8) and the PSK chosen (§4.2.11). psk_ke (no share):
  // the (EC)DHE input is HashLen zeros (§7.1).
  std::optional<crypto::KeyShare> server_share;
  crypto::Secret shared = crypto::Secret::zeros(crypto::hash_len(suite_.hash));
  if (share) {
    auto made = crypto::KeyShare::generate(share->group, io.random());
    if (!made) return fail(made.error());
    auto agreed = made->agree(share->key_exchange);
    if (!agreed) return fail(agreed.error());
    shared = std::move(*agreed);
    server_share.emplace(std::move(*made));
  }
  uint8_t random[32];
  io.random().fill(random);
  wire::ServerHello sh;
  sh.random = ByteView(random, 32);
  sh.legacy_session_id_echo = ch.legacy_session_id;
  sh.cipher_suite = suite_id_;
  wire::ExtensionsBuilder b;
  b.add(ExtensionType::supported_versions, wire::SupportedVersionSelected{ProtocolVersion::tls13});
  if (share) b.add(ExtensionType::key_share, wire::KeyShareServerHello{{share->group, server_share->public_bytes()}});
  if (psk_identity) b.add(ExtensionType::pre_shared_key, wire::PreSharedKeySelected{*psk_identity});
  TLSPP_TRY_ASSIGN(sh.extensions, b.list());
  TLSPP_TRY_ASSIGN(const Bytes sh_msg, wire::encode_message(sh));
  transcript_.add(sh_msg);
  Details shd;
  if (io.tracing()) {
    shd = Details{{"version", "TLSv1.3"},
                  {"cipher_suite", std::string(cipher_suite_name(suite_id_))},
                  {"key_share", share ? std::string(named_group_name(share->group)) : std::string("none (psk_ke)")}};
    if (psk_identity)
      shd.emplace_back("pre_shared_key", external_psk ? "accepted (external PSK)" : "accepted (resumption)");
  }
  io.send_message({MessageType::server_hello}, sh_msg, std::move(shd));
  // Appendix D.4: after the first handshake message, when the client asked for
  // compatibility mode by sending a session id (after a retry it was sent already).
  if (!ch.legacy_session_id.empty() && !retry) io.send_change_cipher_spec();
  return shared;
}

Status Tls13Server::send_encrypted_extensions(Io& io, const std::string& alpn, bool early_data) {
  wire::ExtensionsBuilder eb;
  Details ed;
  // §4.2.10: an empty early_data in EncryptedExtensions says the early data was accepted.
  if (early_data) {
    eb.add(ExtensionType::early_data, wire::EmptyExtension{});
    if (io.tracing()) ed.emplace_back("early_data", "accepted");
  }
  if (!alpn.empty()) {
    const ByteView name(reinterpret_cast<const uint8_t*>(alpn.data()), alpn.size());
    eb.add(ExtensionType::application_layer_protocol_negotiation, wire::ProtocolNameList{{name}});
    if (io.tracing()) ed.emplace_back("alpn", alpn);
  }
  // RFC 7250 §4.2 (in EncryptedExtensions for TLS 1.3, RFC 8446 §4.2 table).
  const auto add_type = [&](ExtensionType t, const std::optional<uint8_t>& sel) {
    if (!sel) return;
    eb.add(t, wire::CertificateTypeSelected{*sel});
    if (io.tracing())
      ed.emplace_back(std::string(wire::extension_type_name(t)),
                      *sel == wire::CertificateTypeList::kRawPublicKey ? "RawPublicKey" : "X509");
  };
  add_type(ExtensionType::server_certificate_type, server_type_sel_);
  add_type(ExtensionType::client_certificate_type, client_type_sel_);
  if (record_size_limit_sent_) {
    eb.add(ExtensionType::record_size_limit, wire::RecordSizeLimit{record_size_limit_sent_});
    if (io.tracing()) ed.emplace_back("record_size_limit", std::to_string(record_size_limit_sent_));
  }
  wire::EncryptedExtensions ee;
  TLSPP_TRY_ASSIGN(ee.extensions, eb.list());
  TLSPP_TRY_ASSIGN(const Bytes ee_msg, wire::encode_message(ee));
  transcript_.add(ee_msg);
  io.send_message({MessageType::encrypted_extensions}, ee_msg, std::move(ed));
  return {};
}

Status Tls13Server::send_certificate_request(Io& io) {
  // §4.3.2.
  for (auto sch : opts_.signature_schemes)
    if (tls13_handshake_scheme(sch)) requested_schemes_.push_back(sch);
  wire::ExtensionsBuilder rb;
  rb.add(ExtensionType::signature_algorithms, wire::SignatureSchemeList{requested_schemes_});
  // §4.2.4: the CAs whose certificates the server accepts, so that a client holding
  // several can pick.
  if (auto names = client_ca_names(*config_); !names.empty())
    rb.add(ExtensionType::certificate_authorities, wire::CertificateAuthorities{std::move(names)});
  wire::CertificateRequest cr;
  TLSPP_TRY_ASSIGN(cr.extensions, rb.list());
  TLSPP_TRY_ASSIGN(const Bytes cr_msg, wire::encode_message(cr));
  transcript_.add(cr_msg);
  io.send_message({MessageType::certificate_request}, cr_msg,
                  io.tracing() ? Details{{"signature_algorithms", join_names(requested_schemes_, signature_scheme_name)},
                                         {"required", opts_.client_auth == ClientAuth::required ? "yes" : "no"}}
                               : Details{});
  return {};
}

Status Tls13Server::send_certificate(Io& io, const CertificateChoice& choice) {
  // §4.4.2 and §4.4.3: the chain, then the signature over the transcript so far.
  const LoadedCertificate& cert = *choice.certificate;
  wire::Certificate certificate;
  for (const auto& der : cert.chain) certificate.certificate_list.push_back({der, {}});
  TLSPP_TRY_ASSIGN(const Bytes cert_msg, wire::encode_message(certificate));
  transcript_.add(cert_msg);
  io.send_message({MessageType::certificate}, cert_msg,
                  io.tracing() ? Details{{"certificates", std::to_string(cert.chain.size())},
                                         {"subject", cert.subject},
                                         {"key", std::string(crypto::key_type_name(cert.key_type))}}
                               : Details{});
  const Bytes content = certificate_verify_content(true, transcript_.hash().view());
  auto sig = crypto::sign(cert.key, choice.scheme, content);
  if (!sig) return fail(sig.error());
  TLSPP_TRY_ASSIGN(const Bytes cv_msg, wire::encode_message(wire::CertificateVerify{choice.scheme, *sig}));
  transcript_.add(cv_msg);
  io.send_message({MessageType::certificate_verify}, cv_msg,
                  io.tracing() ? Details{{"signature_scheme", std::string(signature_scheme_name(choice.scheme))}}
                               : Details{});
  return {};
}

Status Tls13Server::send_finished(Io& io, keysched::HandshakeSecret hs, ByteView server_hs) {
  // §4.4.4, then the application secrets over ClientHello..server Finished (§7.1): the
  // server may write at once.
  const auto verify = keysched::finished_verify_data(suite_.hash, server_hs, transcript_.hash().view());
  TLSPP_TRY_ASSIGN(const Bytes fin_msg, wire::encode_message(wire::Finished{verify.view()}));
  transcript_.add(fin_msg);
  io.send_message({MessageType::finished}, fin_msg,
                  io.tracing() ? Details{{"verify_data", hex_string(verify.view())}} : Details{});
  master_.emplace(std::move(hs).into_master());
  const auto th = transcript_.hash();
  client_ap_ = master_->client_application_traffic_secret_0(th.view());
  server_ap_ = master_->server_application_traffic_secret_0(th.view());
  exporter_ = master_->exporter_master_secret(th.view());
  TLSPP_TRY(install_tls13_keys(io, Direction::write, KeyEpoch::application, suite_.aead, suite_.hash,
                               server_ap_.view(), "SERVER_TRAFFIC_SECRET_0"));
  io.log_secret("EXPORTER_SECRET", exporter_.view());
  return {};
}

Status Tls13Server::send_hello_retry_request(Io& io, const wire::ClientHello& ch, ByteView ch_whole, NamedGroup group) {
  // RFC 8446 §4.1.4.
  const auto ch1_hash = crypto::HashCtx::digest(suite_.hash, ch_whole);
  hrr_group_ = group;

  const Bytes cookie = make_cookie(ch1_hash.view(), suite_id_, group);
  TLSPP_TRY_ASSIGN(const Bytes msg, encode_hello_retry_request(ch.legacy_session_id, suite_id_, group, cookie));
  io.send_message({MessageType::hello_retry_request}, msg,
                  io.tracing() ? Details{{"cipher_suite", std::string(cipher_suite_name(suite_id_))},
                                         {"selected_group", std::string(named_group_name(group))},
                                         {"cookie", std::to_string(cookie.size()) + " bytes"}}
                               : Details{});
  if (!ch.legacy_session_id.empty()) io.send_change_cipher_spec();
  state_ = State::expect_client_hello_2;
  return {};
}

Status Tls13Server::on_certificate(Io& io, const wire::HandshakeMessage& m) {
  auto cert = wire::Certificate::decode(m.body);
  if (!cert) return fail(cert.error());
  if (!cert->certificate_request_context.empty())
    return fail(Error::illegal("client Certificate has a request context the server did not send"));
  transcript_.add(m.whole);
  if (cert->certificate_list.empty()) {
    io.message_received({MessageType::certificate}, m.whole.size(),
             io.tracing() ? Details{{"certificates", "0"}} : Details{});
    // RFC 8446 §4.4.2.4: without a certificate the server may go on or abort with
    // certificate_required.
    if (opts_.client_auth == ClientAuth::required)
      return fail(Error{ErrorKind::bad_certificate, AlertDescription::certificate_required,
                        "client did not send a certificate, which this server requires"});
    state_ = State::expect_finished;
    return {};
  }
  if (client_raw_) {
    TLSPP_TRY_ASSIGN(client_key_, accept_raw_key_certificate(io, *cert, config_->impl().client_spki_pins,
                                                            opts_.min_rsa_key_bits, "client"));
    io.message_received({MessageType::certificate}, m.whole.size(),
                        io.tracing() ? Details{{"raw_public_key", io.negotiated().peer_key},
                                               {"spki_sha256", io.negotiated().peer_spki_sha256},
                                               {"verified", "pinned"}}
                                     : Details{});
    state_ = State::expect_certificate_verify;
    return {};
  }
  std::vector<ByteView> chain;
  for (const auto& e : cert->certificate_list) {
    if (!e.extensions.empty())
      return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::unsupported_extension,
                        "client certificate entry carries an unsolicited extension"});
    chain.push_back(e.cert_data);
  }
  TLSPP_TRY_ASSIGN(client_key_, verify_client_chain(io, *config_, chain));
  const auto& neg = io.negotiated();
  io.message_received({MessageType::certificate}, m.whole.size(),
           io.tracing() ? Details{{"certificates", std::to_string(chain.size())},
                                  {"subject", neg.peer_subject},
                                  {"key", neg.peer_key}}
                        : Details{});
  state_ = State::expect_certificate_verify;
  return {};
}


Status Tls13Server::on_certificate_verify(Io& io, const wire::HandshakeMessage& m) {
  auto cv = wire::CertificateVerify::decode(m.body);
  if (!cv) return fail(cv.error());
  if (std::find(requested_schemes_.begin(), requested_schemes_.end(), cv->algorithm) == requested_schemes_.end())
    return fail(Error::illegal("client signed with " + std::string(signature_scheme_name(cv->algorithm)) +
                               ", which the server did not request"));
  if (!crypto::scheme_matches_key(cv->algorithm, client_key_.type()))
    return fail(Error::illegal("client signed with " + std::string(signature_scheme_name(cv->algorithm)) +
                               ", which does not match its " + client_key_.describe() + " key"));
  const Bytes content = certificate_verify_content(false, transcript_.hash().view());
  if (!crypto::verify(client_key_, cv->algorithm, content, cv->signature))
    return fail(Error::crypto(AlertDescription::decrypt_error, "client CertificateVerify signature does not verify"));
  transcript_.add(m.whole);
  io.message_received({MessageType::certificate_verify}, m.whole.size(),
           io.tracing() ? Details{{"signature_scheme", std::string(signature_scheme_name(cv->algorithm))}} : Details{});
  state_ = State::expect_finished;
  return {};
}

Status Tls13Server::on_finished(Io& io, const wire::HandshakeMessage& m) {
  auto fin = wire::Finished::decode(m.body, crypto::hash_len(suite_.hash));
  if (!fin) return fail(fin.error());
  if (!keysched::finished_matches(suite_.hash, client_hs_.view(), transcript_.hash().view(), fin->verify_data))
    return fail(Error::crypto(AlertDescription::decrypt_error, "client Finished does not verify"));
  transcript_.add(m.whole);
  io.message_received({MessageType::finished}, m.whole.size(),
           io.tracing() ? Details{{"verify_data", hex_string(fin->verify_data)}} : Details{});
  TLSPP_TRY(
      install_tls13_keys(io, Direction::read, KeyEpoch::application, suite_.aead, suite_.hash, client_ap_.view(), "CLIENT_TRAFFIC_SECRET_0"));
  const auto resumption = master_->resumption_master_secret(transcript_.hash().view());
  io.handshake_complete(make_tls13_connected(
      Side::server, {suite_.hash, suite_.aead, client_ap_.view(), server_ap_.view(), exporter_.view(), resumption.view()},
      post_handshake_auth(io)));
  client_hs_.wipe();
  master_.reset();
  state_ = State::connected;
  return send_tickets(io, resumption.view());
}

// RFC 8446 §4.2.10: early data is accepted only with the first PSK, a ticket that allows it,
// the same suite and ALPN protocol as the ticket's session, no HelloRetryRequest, a ticket
// age the server agrees with (§8.3), and neither the ticket nor this ClientHello seen before
// (§8.1, §8.2).
bool Tls13Server::accept_early_data(Io& io, const PskChoice& psk, const std::string& alpn, bool retry) const {
  if (opts_.max_early_data == 0 || retry || psk.index != 0 || !psk.session) return false;
  const StoredSession& s = *psk.session;
  if (s.max_early_data == 0 || s.suite != suite_id_ || s.alpn != alpn) return false;
  // §8.3: the client's view of the ticket's age (obfuscated_ticket_age - ticket_age_add, mod
  // 2^32) against the server's, which counts whole seconds (one second of slack for that).
  const uint32_t client_age_ms = psk.obfuscated_age - s.age_add;
  const std::time_t now = io.now();
  const int64_t server_age_ms = static_cast<int64_t>(now - s.created) * 1000;
  const int64_t diff = static_cast<int64_t>(client_age_ms) - server_age_ms;
  if (diff > static_cast<int64_t>(opts_.early_data_age_tolerance_ms) + 1000 ||
      -diff > static_cast<int64_t>(opts_.early_data_age_tolerance_ms) + 1000)
    return false;
  const auto& anti_replay = config_->impl().anti_replay;
  if (!anti_replay) return false;
  const std::time_t expires = s.created + static_cast<std::time_t>(s.lifetime) + 1;
  // A ticket is named by its AEAD tag (its last 16 bytes): the ticket opened, so the tag is
  // one this server made, over a nonce it drew at random; a replay brings the same bytes.
  // The id stays short for any store, a remote one included.
  Bytes ticket_id = {'t'}, hello_id = {'h'};
  const size_t tag = std::min<size_t>(psk.ticket.size(), 16);
  ticket_id.insert(ticket_id.end(), psk.ticket.end() - static_cast<std::ptrdiff_t>(tag), psk.ticket.end());
  hello_id.insert(hello_id.end(), psk.binder.begin(), psk.binder.end());
  // The window a replayed ClientHello could arrive in is the freshness tolerance.
  const std::time_t window = now + static_cast<std::time_t>(opts_.early_data_age_tolerance_ms / 1000) + 2;
  return anti_replay->first_use(hello_id, window) && anti_replay->first_use(ticket_id, expires);
}

Status Tls13Server::on_end_of_early_data(Io& io, const wire::HandshakeMessage& m) {
  // §4.5: the end of the client's early data, under its early traffic keys; what follows
  // comes under its handshake keys.
  auto eoed = wire::EndOfEarlyData::decode(m.body);
  if (!eoed) return fail(eoed.error());
  transcript_.add(m.whole);
  io.message_received({MessageType::end_of_early_data}, m.whole.size(), {});
  TLSPP_TRY(install_tls13_keys(io, Direction::read, KeyEpoch::handshake, suite_.aead, suite_.hash, client_hs_.view(),
                               "CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
  state_ = State::expect_finished;
  return {};
}

Status Tls13Server::send_tickets(Io& io, ByteView resumption_master) {
  // RFC 8446 §4.6.1: each ticket has its own nonce and so its own PSK. A resumed connection
  // gets fewer (it already had some; RFC 8446 §C.4 has clients use each ticket once).
  const unsigned count = io.negotiated().resumed ? opts_.tickets_after_resumption : opts_.tickets;
  if (!opts_.accept_resumption) return {};
  for (unsigned i = 0; i < count && i < 256; ++i) {
    uint8_t age_add[4];
    io.random().fill(age_add);
    const uint8_t nonce[1] = {static_cast<uint8_t>(i)};
    const auto psk = keysched::resumption_psk(suite_.hash, resumption_master, nonce);
    StoredSession session;
    session.suite = suite_id_;
    session.secret = psk;
    session.server_name = io.negotiated().server_name;
    session.alpn = io.negotiated().alpn;
    session.created = io.now();
    session.lifetime = opts_.ticket_lifetime_seconds;
    session.age_add =
        (uint32_t{age_add[0]} << 24) | (uint32_t{age_add[1]} << 16) | (uint32_t{age_add[2]} << 8) | age_add[3];
    session.max_early_data = opts_.max_early_data;
    const Bytes ticket = config_->impl().tickets->seal(io.random(), TicketKind::tls13, session, io.now());
    if (ticket.empty()) return {};  // no key for this period (its source is down): no ticket
    wire::NewSessionTicket nst;
    nst.ticket_lifetime = opts_.ticket_lifetime_seconds;
    nst.ticket_age_add = session.age_add;
    nst.ticket_nonce = nonce;
    nst.ticket = ticket;
    // §4.2.10: how much early data a client may send with this ticket. (The builder owns
    // the bytes the extension list points into: it lives as long as the message.)
    wire::ExtensionsBuilder nb;
    if (opts_.max_early_data > 0) {
      nb.add(ExtensionType::early_data, wire::EarlyDataMax{opts_.max_early_data});
      TLSPP_TRY_ASSIGN(nst.extensions, nb.list());
    }
    TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(nst));
    io.send_message({MessageType::new_session_ticket}, msg,
                    io.tracing() ? Details{{"lifetime", std::to_string(nst.ticket_lifetime) + " s"},
                                           {"ticket", std::to_string(nst.ticket.size()) + " bytes"}}
                                 : Details{});
  }
  return {};
}

}  // namespace

std::unique_ptr<ServerHandshake> make_tls13_server(std::shared_ptr<const ServerConfig> config) {
  return std::make_unique<Tls13Server>(std::move(config));
}

}  // namespace tlspp::handshake
