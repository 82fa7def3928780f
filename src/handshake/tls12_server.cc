// The TLS 1.2 server handshake (RFC 5246 §7.3-7.4) with ECDHE (RFC 8422), AEAD suites (RFC
// 5288, RFC 7905), the extended master secret (RFC 7627), the renegotiation_info signal (RFC
// 5746), session IDs and tickets (RFC 5077):
//
//   full:         ClientHello        -> ServerHello, Certificate, ServerKeyExchange,
//                                       [CertificateRequest], ServerHelloDone
//                 [Certificate], ClientKeyExchange, [CertificateVerify],
//                 ChangeCipherSpec, Finished -> [NewSessionTicket], ChangeCipherSpec, Finished
//   abbreviated:  ClientHello        -> ServerHello, ChangeCipherSpec, Finished
//                 ChangeCipherSpec, Finished
#include <algorithm>
#include <cstring>
#include <optional>

#include "crypto/kx.h"
#include "handshake/common.h"
#include "handshake/config_impl.h"
#include "handshake/server.h"
#include "handshake/server_common.h"
#include "handshake/sessions.h"
#include "handshake/tls12_common.h"
#include "keysched/tls12.h"
#include "keysched/transcript.h"
#include "wire/messages.h"
#include "wire/messages12.h"

namespace tlspp::handshake {
namespace {

using wire::ExtensionType;
using wire::HandshakeType;
namespace ks = keysched::tls12;

enum class State : uint8_t {
  expect_client_hello,
  expect_certificate,
  expect_client_key_exchange,
  expect_certificate_verify,
  expect_change_cipher_spec,
  expect_finished,
  connected,
};

[[nodiscard]] std::string_view state_name_of(State s) {
  static constexpr std::string_view kNames[] = {
      "ExpectClientHello",      "ExpectCertificate",      "ExpectClientKeyExchange", "ExpectCertificateVerify",
      "ExpectChangeCipherSpec", "ExpectFinished",         "Connected"};
  return kNames[static_cast<size_t>(s)];
}

// The message each state waits for (nothing: none may come; a ChangeCipherSpec record is
// not a handshake message).
[[nodiscard]] std::optional<HandshakeType> expected_in(State s) {
  switch (s) {
    case State::expect_client_hello: return HandshakeType::client_hello;
    case State::expect_certificate: return HandshakeType::certificate;
    case State::expect_client_key_exchange: return HandshakeType::client_key_exchange;
    case State::expect_certificate_verify: return HandshakeType::certificate_verify;
    case State::expect_finished: return HandshakeType::finished;
    case State::expect_change_cipher_spec:
    case State::connected: break;
  }
  return std::nullopt;
}

// RFC 8422 §5.5 ClientCertificateType: rsa_sign(1), ecdsa_sign(64) (ECDSA and Ed25519 keys).
constexpr uint8_t kCertificateTypes[] = {1, 64};
// RFC 8422 §5.1.2: the one point format there is.
constexpr uint8_t kUncompressedOnly[] = {wire::EcPointFormats::kUncompressed};

[[nodiscard]] bool is_tls12_suite(CipherSuite s) { return tls12_suite(s).has_value(); }

// RFC 5246 §7.4.1.4.1: in TLS 1.2 an ECDSA code point names the hash only, so it fits an EC
// key on any curve; the other schemes fit the keys they fit in TLS 1.3.
[[nodiscard]] bool tls12_scheme_fits_key(SignatureScheme s, crypto::KeyType t) {
  switch (s) {
    case SignatureScheme::ecdsa_secp256r1_sha256:
    case SignatureScheme::ecdsa_secp384r1_sha384:
    case SignatureScheme::ecdsa_secp521r1_sha512:
      return t == crypto::KeyType::ec_p256 || t == crypto::KeyType::ec_p384 || t == crypto::KeyType::ec_p521;
    default:
      return crypto::scheme_matches_key(s, t);
  }
}

// The curve of an ECDSA key (nothing for other keys: EdDSA is negotiated by
// signature_algorithms alone, RFC 8422 §5.1.3).
[[nodiscard]] std::optional<NamedGroup> ecdsa_curve(crypto::KeyType t) {
  switch (t) {
    case crypto::KeyType::ec_p256: return NamedGroup::secp256r1;
    case crypto::KeyType::ec_p384: return NamedGroup::secp384r1;
    case crypto::KeyType::ec_p521: return NamedGroup::secp521r1;
    default: return std::nullopt;
  }
}

// The first few names of a peer's list, for an error sentence (a peer may list thousands).
template <class T, class NameFn>
std::string some_names(const std::vector<T>& items, NameFn name) {
  constexpr size_t kShown = 8;
  std::string s;
  for (size_t i = 0; i < items.size() && i < kShown; ++i) s += (i ? ", " : "") + std::string(name(items[i]));
  if (items.size() > kShown) s += " and " + std::to_string(items.size() - kShown) + " more";
  return s.empty() ? "none" : s;
}

// What a TLS 1.2 ClientHello asks for, read once (RFC 5246 §7.4.1.2 and the RFCs of its
// extensions). Views borrow from the ClientHello.
struct Offer {
  std::vector<SignatureScheme> sig_algs, sig_algs_cert;
  std::vector<NamedGroup> groups;       // empty: no supported_groups extension
  bool extended_master_secret = false;  // RFC 7627 §5.1
  bool secure_renegotiation = false;    // RFC 5746 §3.6
  bool point_formats = false;           // RFC 8422 §5.1.2 ec_point_formats sent
  std::optional<ByteView> ticket;       // RFC 5077 §3.2 session_ticket (empty or not)
  std::string sni, alpn;                // the server name asked for, the protocol chosen
  uint16_t record_size_limit = 0;       // RFC 8449 §4 (0: not sent)
};

// RFC 5746 §3.6: a client supports secure renegotiation if it sends the SCSV or the
// extension; on an initial handshake the extension must be empty.
[[nodiscard]] Status read_renegotiation_info(const wire::ClientHello& ch, Offer& o) {
  if (const auto* e = wire::find_extension(ch.extensions, ExtensionType::renegotiation_info)) {
    TLSPP_TRY_ASSIGN(const auto ri, wire::RenegotiationInfo::decode(e->data));
    if (!ri.renegotiated_connection.empty())
      return fail(handshake_failure(
          "ClientHello renegotiation_info is not empty, but this is an initial handshake (RFC 5746 §3.6)"));
    o.secure_renegotiation = true;
  }
  const auto& cs = ch.cipher_suites;
  if (std::find(cs.begin(), cs.end(), CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV) != cs.end())
    o.secure_renegotiation = true;
  return {};
}

[[nodiscard]] Status read_point_formats(const wire::ClientHello& ch, Offer& o) {
  const auto* e = wire::find_extension(ch.extensions, ExtensionType::ec_point_formats);
  if (!e) return {};
  TLSPP_TRY_ASSIGN(const auto formats, wire::EcPointFormats::decode(e->data));
  // RFC 8422 §5.1.2: uncompressed is the only format, and a client must list it.
  if (std::find(formats.formats.begin(), formats.formats.end(), wire::EcPointFormats::kUncompressed) ==
      formats.formats.end())
    return fail(Error::illegal("ClientHello ec_point_formats does not include uncompressed (RFC 8422 §5.1.2)"));
  o.point_formats = true;
  return {};
}

[[nodiscard]] Result<Offer> read_offer(const ServerOptions& opts, const wire::ClientHello& ch) {
  const auto find = [&](ExtensionType t) { return wire::find_extension(ch.extensions, t); };
  // RFC 5246 §7.4.1.2: the list must contain the null method.
  const ByteView cm = ch.legacy_compression_methods;
  if (std::find(cm.begin(), cm.end(), 0) == cm.end())
    return fail(Error::illegal("ClientHello does not offer the null compression method (RFC 5246 §7.4.1.2)"));
  Offer o;
  TLSPP_TRY(read_renegotiation_info(ch, o));
  TLSPP_TRY(read_point_formats(ch, o));
  TLSPP_TRY_ASSIGN(o.record_size_limit, record_size_limit_in(ch.extensions));
  const auto* sa = find(ExtensionType::signature_algorithms);
  if (!sa)
    return fail(handshake_failure(
        "the client sent no signature_algorithms, which in TLS 1.2 means it accepts only SHA-1 signatures "
        "(RFC 5246 §7.4.1.4.1), and this server does not sign with SHA-1"));
  TLSPP_TRY_ASSIGN(auto sig_algs, wire::SignatureSchemeList::decode(sa->data));
  o.sig_algs = std::move(sig_algs.schemes);
  if (const auto* e = find(ExtensionType::signature_algorithms_cert)) {
    TLSPP_TRY_ASSIGN(auto list, wire::SignatureSchemeList::decode(e->data));
    o.sig_algs_cert = std::move(list.schemes);
  }
  if (const auto* e = find(ExtensionType::supported_groups)) {
    TLSPP_TRY_ASSIGN(auto groups, wire::SupportedGroups::decode(e->data));
    o.groups = std::move(groups.groups);
  }
  if (const auto* e = find(ExtensionType::extended_master_secret)) {
    TLSPP_TRY(wire::EmptyExtension::decode(e->data, ExtensionType::extended_master_secret));
    o.extended_master_secret = true;
  }
  if (const auto* e = find(ExtensionType::session_ticket)) o.ticket = e->data;
  TLSPP_TRY_ASSIGN(o.sni, client_server_name(ch));
  TLSPP_TRY_ASSIGN(o.alpn, choose_alpn(opts, ch));
  return o;
}

[[nodiscard]] Details client_hello_details(const wire::ClientHello& ch, const Offer& o) {
  Details d{{"cipher_suites", join_names(ch.cipher_suites, cipher_suite_name)},
            {"groups", join_names(o.groups, named_group_name)},
            {"signature_algorithms", join_names(o.sig_algs, signature_scheme_name)},
            {"extended_master_secret", o.extended_master_secret ? "yes" : "no"},
            {"renegotiation_info", o.secure_renegotiation ? "yes" : "no"}};
  if (!o.sni.empty()) d.emplace_back("server_name", o.sni);
  if (!ch.legacy_session_id.empty()) d.emplace_back("session_id", hex_string(ch.legacy_session_id));
  if (o.ticket) d.emplace_back("session_ticket", std::to_string(o.ticket->size()) + " bytes");
  return d;
}

struct SuiteChoice {
  CipherSuite suite{};
  Tls12SuiteParams params{};
  CertificateChoice cert;
};

// The first suite in preference order for which a certificate suits (RFC 8422 §2, RFC 5246
// §7.4.2: ECDHE_ECDSA needs an ECDSA or Ed25519 key, ECDHE_RSA an RSA key) and can sign with
// a scheme the client accepts.
[[nodiscard]] Result<SuiteChoice> choose_suite(const ServerConfig& config, const wire::ClientHello& ch, const Offer& o) {
  const ServerOptions& opts = config.options();
  const auto suites = common_suites(opts, ch.cipher_suites, is_tls12_suite);
  if (suites.empty()) {
    std::vector<CipherSuite> ours;
    std::copy_if(opts.cipher_suites.begin(), opts.cipher_suites.end(), std::back_inserter(ours), is_tls12_suite);
    return fail(handshake_failure("no TLS 1.2 cipher suite in common with the client (this server accepts " +
                                  some_names(ours, cipher_suite_name) + ")"));
  }
  // RFC 8422 §5.3: "If the client has used a Supported Elliptic Curves Extension, the public
  // key in the server's certificate MUST respect the client's choice of elliptic curves."
  const auto on_listed_curve = [&](const LoadedCertificate& c) {
    const auto curve = ecdsa_curve(c.key_type);
    return o.groups.empty() || !curve || std::find(o.groups.begin(), o.groups.end(), *curve) != o.groups.end();
  };
  const auto& certs = config.impl().certificates;
  // RFC 7250 §4.2 outcome 1: this TLS 1.2 server ignores certificate types and sends X.509,
  // so a server that has only raw public keys cannot serve TLS 1.2.
  if (certs.empty())
    return fail(Error{ErrorKind::peer_incompatible, AlertDescription::unsupported_certificate,
                      "this server has only raw public keys, which tlspp serves only over TLS 1.3 (RFC 7250)"});
  for (auto s : suites) {
    const auto params = *tls12_suite(s);
    auto cert = choose_certificate(certs, o.sni, o.sig_algs, o.sig_algs_cert,
                                   params.ecdsa ? tls12_ecdsa_scheme : tls12_rsa_scheme, on_listed_curve);
    if (cert) return SuiteChoice{s, params, *cert};
  }
  return fail(handshake_failure("no server certificate suits the cipher suites in common with the client (" +
                                some_names(suites, cipher_suite_name) + "): the certificates' keys (" +
                                certificate_key_types(certs) + ") cannot sign with a signature scheme it accepts (" +
                                some_names(o.sig_algs, signature_scheme_name) + ") on a curve it lists (" +
                                some_names(o.groups, named_group_name) + ")"));
}

// RFC 8422 §5.1.1: our most preferred group the client lists; without the extension it
// accepts any (§4), so our first.
[[nodiscard]] Result<NamedGroup> choose_group(const ServerOptions& opts, const Offer& o) {
  if (o.groups.empty()) return opts.groups.front();
  for (auto g : opts.groups)
    if (std::find(o.groups.begin(), o.groups.end(), g) != o.groups.end()) return g;
  return fail(handshake_failure("no key exchange group in common with the client (it offers " +
                                some_names(o.groups, named_group_name) + "; this server accepts " +
                                some_names(opts.groups, named_group_name) + ")"));
}

// Whether a stored session may resume here. RFC 7627 §5.3: a session without the extended
// master secret is not resumed (a full handshake follows).
[[nodiscard]] bool resumable(const StoredSession& s, const ServerOptions& opts, const wire::ClientHello& ch, const Offer& o) {
  const auto lists = [&](std::span<const CipherSuite> l) { return std::find(l.begin(), l.end(), s.suite) != l.end(); };
  return is_tls12_suite(s.suite) && lists(ch.cipher_suites) && lists(opts.cipher_suites) &&
         // Bound to the server name, as TLS 1.3 tickets are (RFC 8446 §4.6.1): a certificate
         // chosen by SNI need not cover another name.
         s.server_name == o.sni && s.alpn == o.alpn && s.extended_master_secret &&
         // A ticket key shared with a server that did not ask for certificates must not let
         // a client in unidentified.
         (opts.client_auth != ClientAuth::required || s.peer.verified);
}

class Tls12Server final : public ServerHandshake {
 public:
  Tls12Server(std::shared_ptr<const ServerConfig> config, bool downgrade)
      : config_(std::move(config)), opts_(config_->options()), downgrade_(downgrade) {}

  Status handle(Io& io, ByteView message) override;
  Status first_client_hello(Io& io, const wire::HandshakeMessage& m, const wire::ClientHello& ch) override;
  bool done() const override { return state_ == State::connected; }
  // RFC 5246 §7.1, §7.4.9: the client's ChangeCipherSpec comes right before its Finished.
  bool ccs_allowed() const override { return state_ == State::expect_change_cipher_spec; }
  Status change_cipher_spec(Io& io) override;
  std::string_view state_name() const override { return state_name_of(state_); }

 private:
  [[nodiscard]] Result<std::optional<StoredSession>> find_session(Io& io, const wire::ClientHello& ch, const Offer& o) const;
  [[nodiscard]] Status resume(Io& io, const wire::ClientHello& ch, ByteView ch_whole, const Offer& o, StoredSession s);
  [[nodiscard]] Status start_full(Io& io, const wire::ClientHello& ch, ByteView ch_whole, const Offer& o);
  [[nodiscard]] Status send_server_hello(Io& io, const Offer& o, ByteView session_id, bool ticket);
  [[nodiscard]] Status send_certificate(Io& io, const LoadedCertificate& cert);
  [[nodiscard]] Status send_server_key_exchange(Io& io, const SuiteChoice& choice, NamedGroup group);
  [[nodiscard]] Status send_certificate_request(Io& io);
  [[nodiscard]] Status on_certificate(Io& io, const wire::HandshakeMessage& m);
  [[nodiscard]] Status on_client_key_exchange(Io& io, const wire::HandshakeMessage& m);
  [[nodiscard]] Status on_certificate_verify(Io& io, const wire::HandshakeMessage& m);
  [[nodiscard]] Status on_finished(Io& io, const wire::HandshakeMessage& m);
  [[nodiscard]] Status send_new_session_ticket(Io& io);
  [[nodiscard]] Status send_change_cipher_spec_and_finished(Io& io);
  [[nodiscard]] StoredSession stored_session(Io& io) const;
  void add(ByteView message);

  std::shared_ptr<const ServerConfig> config_;
  const ServerOptions& opts_;
  const bool downgrade_;  // RFC 8446 §4.1.3: this server could have spoken TLS 1.3
  State state_ = State::expect_client_hello;
  bool resumed_ = false;
  Tls12Session session_;
  keysched::Transcript transcript_;
  // RFC 5246 §7.4.8: a CertificateVerify signs the handshake messages themselves, so they
  // are kept while one may come.
  Bytes messages_;
  bool keep_messages_ = false;
  std::optional<crypto::KeyShare> share_;
  std::vector<SignatureScheme> requested_schemes_;
  crypto::PublicKey client_key_;
  Bytes session_id_;  // given to a new session (empty: none)
  bool send_ticket_ = false;
};

void Tls12Server::add(ByteView message) {
  transcript_.add(message);
  if (keep_messages_) messages_.insert(messages_.end(), message.begin(), message.end());
}

Status Tls12Server::handle(Io& io, ByteView message) {
  TLSPP_TRY_ASSIGN(const wire::HandshakeMessage m, read_expected_message(message, expected_in(state_), state_name()));
  switch (state_) {
    case State::expect_client_hello: {
      auto ch = wire::ClientHello::decode(m.body);
      if (!ch) return fail(ch.error());
      return first_client_hello(io, m, *ch);
    }
    case State::expect_certificate: return on_certificate(io, m);
    case State::expect_client_key_exchange: return on_client_key_exchange(io, m);
    case State::expect_certificate_verify: return on_certificate_verify(io, m);
    case State::expect_finished: return on_finished(io, m);
    case State::expect_change_cipher_spec:
    case State::connected: break;
  }
  return fail(Error::internal("no handshake message is expected in state " + std::string(state_name())));
}

Status Tls12Server::first_client_hello(Io& io, const wire::HandshakeMessage& m, const wire::ClientHello& hello) {
  const wire::ClientHello* ch = &hello;
  io.set_client_random(ch->random);
  std::memcpy(session_.client_random, ch->random.data(), sizeof session_.client_random);
  TLSPP_TRY_ASSIGN(const Offer offer, read_offer(opts_, *ch));
  io.message_received({MessageType::client_hello}, m.whole.size(),
                      io.tracing() ? client_hello_details(*ch, offer) : Details{});
  io.random().fill(session_.server_random);
  // RFC 8446 §4.1.3: a server that speaks TLS 1.3 marks a TLS 1.2 ServerHello, so that a
  // TLS 1.3 client sees whether someone removed TLS 1.3 from its offer.
  if (downgrade_)
    std::memcpy(session_.server_random + 24, wire::kDowngradeSentinelTls12.data(), wire::kDowngradeSentinelTls12.size());
  TLSPP_TRY_ASSIGN(auto stored, find_session(io, *ch, offer));
  if (stored) return resume(io, *ch, m.whole, offer, std::move(*stored));
  return start_full(io, *ch, m.whole, offer);
}

// RFC 5077 §3.4, RFC 5246 §7.4.1.2: the session the client asks to resume, when this server
// has it and may resume it here; nothing means a full handshake.
Result<std::optional<StoredSession>> Tls12Server::find_session(Io& io, const wire::ClientHello& ch,
                                                               const Offer& o) const {
  std::optional<StoredSession> s;
  if (!opts_.accept_resumption) return s;
  const auto& impl = config_->impl();
  if (opts_.tickets > 0 && o.ticket && !o.ticket->empty()) {
    // RFC 5077 §3.4: with a ticket presented, the session ID is not looked up.
    s = impl.tickets->open(TicketKind::tls12, io.now(), *o.ticket);
  } else if (impl.session_cache && !ch.legacy_session_id.empty()) {
    s = impl.session_cache->find(ch.legacy_session_id, io.now());
  }
  if (!s || !resumable(*s, opts_, ch, o)) return std::optional<StoredSession>();
  // RFC 7627 §5.3: "If the original session used the "extended_master_secret" extension but
  // the new ClientHello does not contain it, the server MUST abort the abbreviated handshake."
  if (!o.extended_master_secret)
    return fail(handshake_failure(
        "the client resumes a session made with the extended master secret but no longer offers it (RFC 7627 §5.3)"));
  return s;
}

Status Tls12Server::resume(Io& io, const wire::ClientHello& ch, ByteView ch_whole, const Offer& o, StoredSession s) {
  resumed_ = true;
  session_.suite = s.suite;
  session_.params = *tls12_suite(s.suite);
  session_.set_master(std::move(s.secret));
  session_.extended_master_secret = true;
  transcript_.set_hash(session_.params.hash);
  add(ch_whole);
  auto& neg = io.negotiated();
  neg.version = ProtocolVersion::tls12;
  neg.cipher_suite = s.suite;
  neg.alpn = o.alpn;
  neg.server_name = o.sni;
  neg.resumed = true;
  neg.peer_subject = std::move(s.peer.subject);
  neg.peer_key = std::move(s.peer.key);
  neg.peer_verified = s.peer.verified;
  // RFC 5246 §7.4.1.3 (session ID) and RFC 5077 §3.4 (ticket): the ServerHello echoes the
  // client's session ID.
  TLSPP_TRY(send_server_hello(io, o, ch.legacy_session_id, false));
  io.log_secret("CLIENT_RANDOM", session_.master.view());
  TLSPP_TRY(send_change_cipher_spec_and_finished(io));
  state_ = State::expect_change_cipher_spec;
  return {};
}

Status Tls12Server::start_full(Io& io, const wire::ClientHello& ch, ByteView ch_whole, const Offer& o) {
  TLSPP_TRY_ASSIGN(const SuiteChoice choice, choose_suite(*config_, ch, o));
  TLSPP_TRY_ASSIGN(const NamedGroup group, choose_group(opts_, o));
  session_.suite = choice.suite;
  session_.params = choice.params;
  session_.extended_master_secret = o.extended_master_secret;
  const bool ask_certificate = opts_.client_auth != ClientAuth::none;
  keep_messages_ = ask_certificate;
  transcript_.set_hash(choice.params.hash);
  add(ch_whole);
  // RFC 5077 §3.2: a ticket for a client that asks for one; §3.4: the ServerHello then
  // SHOULD carry no session ID. Otherwise a new session ID when sessions are cached.
  send_ticket_ = opts_.accept_resumption && opts_.tickets > 0 && o.ticket.has_value();
  if (opts_.accept_resumption && !send_ticket_ && config_->impl().session_cache) {
    session_id_.resize(32);
    io.random().fill(session_id_);
  }
  auto& neg = io.negotiated();
  neg.version = ProtocolVersion::tls12;
  neg.cipher_suite = choice.suite;
  neg.group = group;
  neg.signature_scheme = choice.cert.scheme;
  neg.alpn = o.alpn;
  neg.server_name = o.sni;
  TLSPP_TRY(send_server_hello(io, o, session_id_, send_ticket_));
  TLSPP_TRY(send_certificate(io, *choice.cert.certificate));
  TLSPP_TRY(send_server_key_exchange(io, choice, group));
  if (ask_certificate) TLSPP_TRY(send_certificate_request(io));
  TLSPP_TRY_ASSIGN(const Bytes done, wire::encode_message(wire::ServerHelloDone{}));
  add(done);
  io.send_message({MessageType::server_hello_done}, done, {});
  state_ = ask_certificate ? State::expect_certificate : State::expect_client_key_exchange;
  return {};
}

Status Tls12Server::send_server_hello(Io& io, const Offer& o, ByteView session_id, bool ticket) {
  wire::ExtensionsBuilder b;
  // RFC 5746 §3.6: an empty renegotiation_info answers the client's signal.
  if (o.secure_renegotiation) b.add(ExtensionType::renegotiation_info, wire::RenegotiationInfo{});
  if (session_.extended_master_secret) b.add(ExtensionType::extended_master_secret, wire::EmptyExtension{});
  // RFC 8422 §5.2: the formats the server can parse, to a client that named its own.
  if (o.point_formats) b.add(ExtensionType::ec_point_formats, wire::EcPointFormats{kUncompressedOnly});
  if (ticket) b.add(ExtensionType::session_ticket, wire::EmptyExtension{});
  // RFC 8449 §4: the client's limit bounds our protected records (after ChangeCipherSpec);
  // ours answers it and then bounds the client's.
  const uint16_t record_limit = o.record_size_limit ? own_record_size_limit(opts_, ProtocolVersion::tls12) : 0;
  if (record_limit) b.add(ExtensionType::record_size_limit, wire::RecordSizeLimit{record_limit});
  if (o.record_size_limit) io.set_record_size_limits(ProtocolVersion::tls12, o.record_size_limit, record_limit);
  if (!o.alpn.empty()) {
    const ByteView name(reinterpret_cast<const uint8_t*>(o.alpn.data()), o.alpn.size());
    b.add(ExtensionType::application_layer_protocol_negotiation, wire::ProtocolNameList{{name}});
  }
  wire::ServerHello sh;
  sh.legacy_version = ProtocolVersion::tls12;
  sh.random = ByteView(session_.server_random);
  sh.legacy_session_id_echo = session_id;
  sh.cipher_suite = session_.suite;
  TLSPP_TRY_ASSIGN(sh.extensions, b.list());
  // RFC 5246 §7.4.1.4: no extensions, no extension block.
  sh.extensions_present = !sh.extensions.empty();
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(sh));
  add(msg);
  Details d;
  if (io.tracing()) {
    d = Details{{"version", std::string(protocol_version_name(ProtocolVersion::tls12))},
                {"cipher_suite", std::string(cipher_suite_name(session_.suite))},
                {"session_id", session_id.empty() ? "none" : hex_string(session_id)},
                {"extended_master_secret", session_.extended_master_secret ? "yes" : "no"}};
    if (resumed_) d.emplace_back("resumed", "yes");
    if (ticket) d.emplace_back("session_ticket", "a ticket follows");
    if (!o.alpn.empty()) d.emplace_back("alpn", o.alpn);
  }
  io.send_message({MessageType::server_hello}, msg, std::move(d));
  return {};
}

Status Tls12Server::send_certificate(Io& io, const LoadedCertificate& cert) {
  wire::Certificate12 certificate;
  for (const auto& der : cert.chain) certificate.certificate_list.push_back(der);
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(certificate));
  add(msg);
  io.send_message({MessageType::certificate}, msg,
                  io.tracing() ? Details{{"certificates", std::to_string(cert.chain.size())},
                                         {"subject", cert.subject},
                                         {"key", std::string(crypto::key_type_name(cert.key_type))}}
                               : Details{});
  return {};
}

// RFC 8422 §5.4: the ephemeral ECDH public key, signed over both randoms and the params.
Status Tls12Server::send_server_key_exchange(Io& io, const SuiteChoice& choice, NamedGroup group) {
  auto share = crypto::KeyShare::generate(group, io.random());
  if (!share) return fail(share.error());
  share_.emplace(std::move(*share));
  wire::ServerKeyExchangeEcdhe ske;
  ske.named_curve = group;
  ske.public_key = share_->public_bytes();
  ske.algorithm = choice.cert.scheme;
  const Bytes content =
      server_key_exchange_content(ByteView(session_.client_random), ByteView(session_.server_random), ske);
  TLSPP_TRY_ASSIGN(const Bytes signature, crypto::sign(choice.cert.certificate->key, ske.algorithm, content));
  ske.signature = signature;
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(ske));
  add(msg);
  io.send_message({MessageType::server_key_exchange}, msg,
                  io.tracing() ? Details{{"named_curve", std::string(named_group_name(group))},
                                         {"signature_scheme", std::string(signature_scheme_name(ske.algorithm))}}
                               : Details{});
  return {};
}

// RFC 5246 §7.4.4 with RFC 8422 §5.5 certificate types.
Status Tls12Server::send_certificate_request(Io& io) {
  for (auto s : opts_.signature_schemes)
    if (tls12_handshake_scheme(s)) requested_schemes_.push_back(s);
  if (requested_schemes_.empty())
    return fail(Error::config("no configured signature scheme can sign a TLS 1.2 CertificateVerify"));
  wire::CertificateRequest12 cr;
  cr.certificate_types = kCertificateTypes;
  cr.supported_signature_algorithms = requested_schemes_;
  cr.certificate_authorities = client_ca_names(*config_);
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(cr));
  add(msg);
  io.send_message({MessageType::certificate_request}, msg,
                  io.tracing() ? Details{{"signature_algorithms", join_names(requested_schemes_, signature_scheme_name)},
                                         {"certificate_authorities", std::to_string(cr.certificate_authorities.size())},
                                         {"required", opts_.client_auth == ClientAuth::required ? "yes" : "no"}}
                               : Details{});
  return {};
}

Status Tls12Server::on_certificate(Io& io, const wire::HandshakeMessage& m) {
  auto cert = wire::Certificate12::decode(m.body);
  if (!cert) return fail(cert.error());
  add(m.whole);
  state_ = State::expect_client_key_exchange;
  if (cert->certificate_list.empty()) {
    io.message_received({MessageType::certificate}, m.whole.size(),
                        io.tracing() ? Details{{"certificates", "0"}} : Details{});
    // RFC 5246 §7.4.6: without a certificate the server may go on without client
    // authentication or end the handshake with handshake_failure.
    if (opts_.client_auth == ClientAuth::required)
      return fail(handshake_failure("the client sent no certificate, and this server requires one"));
    keep_messages_ = false;
    Bytes().swap(messages_);
    return {};
  }
  TLSPP_TRY_ASSIGN(client_key_, verify_client_chain(io, *config_, cert->certificate_list));
  const auto& neg = io.negotiated();
  io.message_received({MessageType::certificate}, m.whole.size(),
                      io.tracing() ? Details{{"certificates", std::to_string(cert->certificate_list.size())},
                                             {"subject", neg.peer_subject},
                                             {"key", neg.peer_key}}
                                   : Details{});
  return {};
}

Status Tls12Server::on_client_key_exchange(Io& io, const wire::HandshakeMessage& m) {
  auto cke = wire::ClientKeyExchangeEcdhe::decode(m.body);
  if (!cke) return fail(cke.error());
  auto premaster = share_->agree(cke->public_key);
  if (!premaster) return fail(premaster.error());
  share_.reset();
  add(m.whole);
  const auto hash = session_.params.hash;
  // RFC 7627 §4: the session hash covers the handshake up to and including this message.
  session_.set_master(session_.extended_master_secret
                          ? ks::extended_master_secret(hash, premaster->view(), transcript_.hash().view())
                          : ks::master_secret(hash, premaster->view(), ByteView(session_.client_random),
                                              ByteView(session_.server_random)));
  io.log_secret("CLIENT_RANDOM", session_.master.view());
  io.message_received({MessageType::client_key_exchange}, m.whole.size(),
                      io.tracing() ? Details{{"public_key", std::to_string(cke->public_key.size()) + " bytes"}}
                                   : Details{});
  state_ = client_key_.valid() ? State::expect_certificate_verify : State::expect_change_cipher_spec;
  return {};
}

Status Tls12Server::on_certificate_verify(Io& io, const wire::HandshakeMessage& m) {
  auto cv = wire::CertificateVerify::decode(m.body);
  if (!cv) return fail(cv.error());
  const std::string scheme(signature_scheme_name(cv->algorithm));
  if (std::find(requested_schemes_.begin(), requested_schemes_.end(), cv->algorithm) == requested_schemes_.end())
    return fail(Error::illegal("client signed with " + scheme + ", which the server did not request"));
  if (!tls12_scheme_fits_key(cv->algorithm, client_key_.type()))
    return fail(Error::illegal("client signed with " + scheme + ", which does not match its " +
                               client_key_.describe() + " key"));
  // RFC 5246 §7.4.8: the signature covers every handshake message before this one.
  if (auto ok = tls12_verify(client_key_, cv->algorithm, messages_, cv->signature); !ok) {
    if (ok.error().alert != AlertDescription::decrypt_error) return fail(ok.error());
    return fail(Error::crypto(AlertDescription::decrypt_error, "client CertificateVerify signature does not verify"));
  }
  keep_messages_ = false;
  Bytes().swap(messages_);
  add(m.whole);
  io.message_received({MessageType::certificate_verify}, m.whole.size(),
                      io.tracing() ? Details{{"signature_scheme", scheme}} : Details{});
  state_ = State::expect_change_cipher_spec;
  return {};
}

Status Tls12Server::change_cipher_spec(Io& io) {
  if (state_ != State::expect_change_cipher_spec)
    return fail(Error::unexpected("ChangeCipherSpec received in state " + std::string(state_name())));
  // RFC 5246 §7.1: the client's records are under the new keys from here on.
  TLSPP_TRY(install_tls12_keys(io, Direction::read, Side::server, session_));
  state_ = State::expect_finished;
  return {};
}

Status Tls12Server::on_finished(Io& io, const wire::HandshakeMessage& m) {
  auto fin = wire::Finished::decode(m.body, ks::kVerifyDataLen);
  if (!fin) return fail(fin.error());
  // RFC 5246 §7.4.9: over every handshake message before this one; compared in constant time.
  if (!ks::finished_matches(session_.master_mac(), true, transcript_.hash().view(), fin->verify_data))
    return fail(Error::crypto(AlertDescription::decrypt_error, "client Finished does not verify"));
  add(m.whole);
  io.message_received({MessageType::finished}, m.whole.size(),
                      io.tracing() ? Details{{"verify_data", hex_string(fin->verify_data)}} : Details{});
  if (!resumed_) {
    // The session exists once the client has proved it holds the master secret.
    if (!session_id_.empty()) config_->impl().session_cache->store(session_id_, stored_session(io));
    if (send_ticket_) TLSPP_TRY(send_new_session_ticket(io));
    TLSPP_TRY(send_change_cipher_spec_and_finished(io));
  }
  io.handshake_complete(make_tls12_connected(Side::server, std::move(session_)));
  state_ = State::connected;
  return {};
}

StoredSession Tls12Server::stored_session(Io& io) const {
  const auto& neg = io.negotiated();
  StoredSession s;
  s.suite = session_.suite;
  s.secret = session_.master;
  s.server_name = neg.server_name;
  s.created = io.now();
  s.lifetime = opts_.ticket_lifetime_seconds;
  s.extended_master_secret = session_.extended_master_secret;
  s.alpn = neg.alpn;
  s.peer = PeerIdentity{neg.peer_subject, neg.peer_key, neg.peer_verified};
  return s;
}

// RFC 5077 §3.3: sent after the client's Finished, before our ChangeCipherSpec.
Status Tls12Server::send_new_session_ticket(Io& io) {
  const Bytes ticket = config_->impl().tickets->seal(io.random(), TicketKind::tls12, stored_session(io), io.now());
  if (ticket.empty()) return fail(Error::internal("could not seal a session ticket"));
  const wire::NewSessionTicket12 nst{opts_.ticket_lifetime_seconds, ticket};
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(nst));
  add(msg);
  io.send_message({MessageType::new_session_ticket}, msg,
                  io.tracing() ? Details{{"lifetime", std::to_string(nst.ticket_lifetime_hint) + " s"},
                                         {"ticket", std::to_string(ticket.size()) + " bytes"}}
                               : Details{});
  return {};
}

// RFC 5246 §7.1, §7.4.9: ChangeCipherSpec under the old keys, then Finished under the new.
Status Tls12Server::send_change_cipher_spec_and_finished(Io& io) {
  io.send_change_cipher_spec();
  TLSPP_TRY(install_tls12_keys(io, Direction::write, Side::server, session_));
  const auto verify = ks::finished_verify_data(session_.master_mac(), false, transcript_.hash().view());
  TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(wire::Finished{ByteView(verify)}));
  add(msg);
  io.send_message({MessageType::finished}, msg,
                  io.tracing() ? Details{{"verify_data", hex_string(ByteView(verify))}} : Details{});
  return {};
}

}  // namespace

std::unique_ptr<ServerHandshake> make_tls12_server(std::shared_ptr<const ServerConfig> config, bool downgrade) {
  return std::make_unique<Tls12Server>(std::move(config), downgrade);
}

}  // namespace tlspp::handshake
