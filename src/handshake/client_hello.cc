#include "handshake/client_hello.h"

#include <algorithm>

#include "handshake/common.h"
#include "handshake/config_impl.h"
#include "handshake/tls13_connected.h"
#include "keysched/tls13.h"
#include "pki/certificate.h"
#include "pki/verify.h"
#include "tlspp/session_store.h"
#include "wire/extensions.h"
#include "wire/messages.h"

namespace tlspp::handshake {

using wire::ExtensionType;

ClientOffer::ClientOffer(std::shared_ptr<const ClientConfig> c, ServerName name)
    : config(std::move(c)), opts(config->options()), server_name(std::move(name)) {
  // A version is offered when it is in the configured range and some suite of it is
  // configured (a ClientHello for TLS 1.3 suites only carries no TLS 1.2 extensions).
  const auto has = [&](bool tls13) {
    return std::any_of(opts.cipher_suites.begin(), opts.cipher_suites.end(), [&](CipherSuite s) {
      return tls13 ? tls13_suite(s).has_value() : tls12_suite(s).has_value();
    });
  };
  offer_tls13 = opts.min_version <= ProtocolVersion::tls13 && opts.max_version >= ProtocolVersion::tls13 && has(true);
  offer_tls12 = opts.min_version <= ProtocolVersion::tls12 && opts.max_version >= ProtocolVersion::tls12 && has(false);
}

bool ClientOffer::suite_offered(CipherSuite s) const {
  if (tls13_suite(s) ? !offer_tls13 : !(tls12_suite(s) && offer_tls12)) return false;
  return std::find(opts.cipher_suites.begin(), opts.cipher_suites.end(), s) != opts.cipher_suites.end();
}

namespace {

// RFC 8446 §4.6.1: "Clients MUST only resume if the new SNI value is valid for the server
// certificate presented in the original session, and SHOULD only resume if the SNI value
// matches the one used in the original session." tlspp requires the same name, which also
// keys a session store. The session must be alive, of a version and suite still offered
// (whose hash a TLS 1.3 PSK belongs to), with its ALPN protocol still configured, and at
// least as verified as this configuration would verify a new session: a resumed connection
// reports the session's identity, so an unverified session must not resume as verified.
// RFC 7627 §5.3: a TLS 1.2 session without the extended master secret is not resumed.
bool resumable(const ClientOffer& o, const SessionTicket& t) {
  if (!o.suite_offered(t.cipher_suite)) return false;
  if (t.version == ProtocolVersion::tls13) {
    const auto params = tls13_suite(t.cipher_suite);
    if (!params || t.ticket.empty() || t.resumption_secret.size() != crypto::hash_len(params->hash)) return false;
  } else if (t.version == ProtocolVersion::tls12) {
    if (!tls12_suite(t.cipher_suite) || (t.ticket.empty() && t.session_id.empty()) ||
        t.resumption_secret.size() != 48 || !t.extended_master_secret)
      return false;
  } else {
    return false;
  }
  if (o.now < t.received_at || o.now - t.received_at >= static_cast<std::time_t>(t.lifetime_seconds)) return false;
  if (t.server_name != o.server_name.str()) return false;
  if (!t.alpn.empty() && std::find(o.opts.alpn.begin(), o.opts.alpn.end(), t.alpn) == o.opts.alpn.end()) return false;
  const bool verifying = !o.opts.insecure_skip_verification && !o.opts.verify_chain_only;
  return t.peer_verified || !verifying;
}

// RFC 8446 §4.2.11: the external PSK takes the place of any ticket (one PSK is offered), with
// a configured TLS 1.3 suite of the PSK's hash.
Status offer_external_psk(ClientOffer& o) {
  const ExternalPsk& psk = *o.opts.external_psk;
  const crypto::HashAlg hash = psk.sha384 ? crypto::HashAlg::sha384 : crypto::HashAlg::sha256;
  const auto suite = std::find_if(o.opts.cipher_suites.begin(), o.opts.cipher_suites.end(), [&](CipherSuite s) {
    const auto params = tls13_suite(s);
    return params && params->hash == hash && o.suite_offered(s);
  });
  if (suite == o.opts.cipher_suites.end())
    return fail(Error::config("no TLS 1.3 cipher suite with the external PSK's hash (" +
                              std::string(crypto::hash_name(hash)) + ") is configured"));
  SessionTicket t;
  t.version = ProtocolVersion::tls13;
  t.cipher_suite = *suite;
  t.ticket.assign(psk.identity.begin(), psk.identity.end());
  t.resumption_secret = psk.key;
  t.received_at = o.now;
  t.lifetime_seconds = 1;
  t.server_name = o.server_name.str();
  o.ticket = std::move(t);
  o.external_psk = true;
  return {};
}

// §2.3: after the ClientHello, the client's early data goes under client_early_traffic_secret
// = Derive-Secret(Early Secret, "c e traffic", ClientHello) (§7.1), with the ticket's suite.
// Appendix D.4: the compatibility ChangeCipherSpec comes first, right after the ClientHello.
Status start_early_data(Io& io, ClientOffer& o) {
  const auto params = tls13_suite(o.ticket->cipher_suite);
  const auto h = crypto::HashCtx::digest(o.psk_hash, o.client_hello);
  const auto traffic = keysched::EarlySecret::with_psk(o.psk_hash, o.ticket->resumption_secret.view())
                           .client_early_traffic_secret(h.view());
  if (o.opts.middlebox_compat) {
    io.send_change_cipher_spec();
    o.ccs_sent = true;
  }
  TLSPP_TRY(install_tls13_keys(io, Direction::write, KeyEpoch::early, params->aead, o.psk_hash, traffic.view(),
                               "CLIENT_EARLY_TRAFFIC_SECRET"));
  io.set_early_data(EarlyData::offered, o.ticket->max_early_data);
  return {};
}

Status add_psk_binder(ClientOffer& o, Bytes& msg) {
  // RFC 8446 §4.2.11.2: the binder is the Finished construction, keyed from the PSK's
  // binder key, over the transcript up to the ClientHello truncated before the binders
  // (after a retry, that transcript starts with message_hash and the HelloRetryRequest).
  auto offset = wire::client_hello_binders_offset(msg);
  if (!offset) return fail(offset.error());
  const ByteView prefix = ByteView(msg).first(*offset);
  const crypto::Digest h =
      o.transcript.has_hash() ? o.transcript.hash_with(prefix) : crypto::HashCtx::digest(o.psk_hash, prefix);
  const auto early = keysched::EarlySecret::with_psk(o.psk_hash, o.ticket->resumption_secret.view());
  const auto binder = keysched::finished_verify_data(o.psk_hash, early.binder_key(o.external_psk).view(), h.view());
  const ByteView binders[1] = {binder.view()};
  return wire::patch_psk_binders(msg, binders);
}

// RFC 7250 §4.1: the certificate types this client can process from the server and can
// present itself, each list in preference order (raw public keys first) and each sent only
// when it names more than X.509: the server's raw key only with a pin to trust it by, our
// own only when a raw key is configured. Raw public keys are implemented for TLS 1.3 only,
// so the lists go only into a ClientHello that offers TLS 1.3.
void add_certificate_types(const ClientOffer& o, wire::ExtensionsBuilder& b, Details* d) {
  static const uint8_t kRawThenX509[2] = {wire::CertificateTypeList::kRawPublicKey, wire::CertificateTypeList::kX509};
  static const uint8_t kRawOnly[1] = {wire::CertificateTypeList::kRawPublicKey};
  if (!o.offer_tls13) return;
  const auto& impl = o.config->impl();
  if (!impl.spki_pins.empty()) {
    b.add(ExtensionType::server_certificate_type, wire::CertificateTypeList{kRawThenX509});
    if (d) d->emplace_back("server_certificate_type", "RawPublicKey, X509");
  }
  if (!impl.raw_keys.empty()) {
    const bool x509 = !impl.certificates.empty();
    b.add(ExtensionType::client_certificate_type,
          wire::CertificateTypeList{x509 ? ByteView(kRawThenX509) : ByteView(kRawOnly)});
    if (d) d->emplace_back("client_certificate_type", x509 ? "RawPublicKey, X509" : "RawPublicKey");
  }
}

}  // namespace

Status send_first_client_hello(Io& io, ClientOffer& o, std::optional<SessionTicket> session) {
  o.now = io.now();
  if (!o.offer_tls13 && !o.offer_tls12)
    return fail(Error::config("no protocol version in the configured range has a configured cipher suite"));
  io.random().fill(o.random);
  if (session && resumable(o, *session)) {
    o.ticket = std::move(session);
  } else if (!session && o.opts.session_store && !o.opts.external_psk) {
    // The store's newest session for this name that may still be resumed; the others it
    // hands out first are of no use any more and are dropped.
    while (auto kept = o.opts.session_store->take(o.server_name.str())) {
      if (resumable(o, *kept)) {
        o.ticket = std::move(*kept);
        break;
      }
    }
  }
  if (o.offer_tls13 && o.opts.external_psk) TLSPP_TRY(offer_external_psk(o));
  if (o.ticket && o.ticket->version == ProtocolVersion::tls13) o.psk_hash = tls13_suite(o.ticket->cipher_suite)->hash;
  if (o.ticket && o.ticket->version == ProtocolVersion::tls12 && !o.ticket->session_id.empty() &&
      o.ticket->session_id.size() <= 32) {
    // RFC 5246 §7.4.1.2: the ID of the session to resume.
    o.session_id_len = o.ticket->session_id.size();
    std::copy(o.ticket->session_id.begin(), o.ticket->session_id.end(), o.session_id);
  } else if ((o.offer_tls13 && o.opts.middlebox_compat) || (o.ticket && o.ticket->version == ProtocolVersion::tls12)) {
    // RFC 8446 Appendix D.4: a non-empty legacy_session_id puts middleboxes in "resumption"
    // mode, where they let the rest of the handshake pass. RFC 5077 §3.4: with a ticket, a
    // session ID the server echoes to say it accepted the ticket.
    o.session_id_len = 32;
    io.random().fill(MutByteView(o.session_id, o.session_id_len));
  }
  if (o.offer_tls13) {
    if (o.opts.groups.empty()) return fail(Error::config("no key exchange groups configured"));
    auto share = crypto::KeyShare::generate(o.opts.groups.front(), io.random());
    if (!share) return fail(share.error());
    o.share.emplace(std::move(*share));
  }
  io.set_client_random(ByteView(o.random, 32));
  io.negotiated().server_name = o.server_name.str();
  // §4.2.10: early data only with a resumption ticket that allows it.
  o.early = o.opts.early_data && o.offer_tls13 && o.ticket && !o.external_psk &&
            o.ticket->version == ProtocolVersion::tls13 && o.ticket->max_early_data > 0;
  TLSPP_TRY(send_client_hello(io, o));
  return o.early ? start_early_data(io, o) : Status{};
}

Status send_client_hello(Io& io, ClientOffer& o) {
  const ClientOptions& opts = o.opts;
  wire::ClientHello ch;
  ch.random = ByteView(o.random, 32);
  ch.legacy_session_id = o.session_id_view();
  ch.cipher_suites.reserve(opts.cipher_suites.size());
  for (auto s : opts.cipher_suites)
    if (o.suite_offered(s)) ch.cipher_suites.push_back(s);
  if (ch.cipher_suites.empty()) return fail(Error::config("no cipher suite of an offered protocol version is configured"));
  static const uint8_t kNullCompression[1] = {0};
  ch.legacy_compression_methods = kNullCompression;
  const bool tls13_psk = o.ticket && o.ticket->version == ProtocolVersion::tls13;
  const bool tls12_session = o.ticket && o.ticket->version == ProtocolVersion::tls12;

  wire::ExtensionsBuilder b;
  // RFC 6066 §3: IP address literals are not sent as SNI.
  const std::string_view sni_name = o.server_name.sni();
  const bool send_sni = !sni_name.empty();
  if (send_sni) {
    wire::ServerNameList sni;
    sni.names.push_back({wire::ServerNameList::kHostName,
                         ByteView(reinterpret_cast<const uint8_t*>(sni_name.data()), sni_name.size())});
    b.add(ExtensionType::server_name, sni);
  }
  b.add(ExtensionType::supported_groups, wire::SupportedGroups{opts.groups});
  const std::vector<SignatureScheme>& schemes = opts.signature_schemes;
  b.add(ExtensionType::signature_algorithms, wire::SignatureSchemeList{schemes});
  std::vector<ProtocolVersion> versions;
  if (o.offer_tls13) versions.push_back(ProtocolVersion::tls13);
  if (o.offer_tls12) versions.push_back(ProtocolVersion::tls12);
  if (o.offer_tls13) {
    // RFC 8446 §4.2.1: TLS 1.3 is offered only here; legacy_version stays 0x0303.
    b.add(ExtensionType::supported_versions, wire::SupportedVersionsList{versions});
    wire::KeyShareClientHello ks;
    ks.client_shares.push_back({o.share->group(), o.share->public_bytes()});
    b.add(ExtensionType::key_share, ks);
  }
  if (o.offer_tls12) {
    // RFC 8422 §5.1.2: uncompressed points only. RFC 7627 §5.1: extended_master_secret.
    // RFC 5746 §3.4: an empty renegotiation_info on the initial handshake. RFC 5077 §3.2:
    // session_ticket, empty to ask for one or holding the ticket to resume.
    static const uint8_t kUncompressed[1] = {wire::EcPointFormats::kUncompressed};
    b.add(ExtensionType::ec_point_formats, wire::EcPointFormats{kUncompressed});
    b.add(ExtensionType::extended_master_secret, wire::EmptyExtension{});
    b.add(ExtensionType::renegotiation_info, wire::RenegotiationInfo{});
    b.add(ExtensionType::session_ticket,
          wire::SessionTicket{tls12_session ? ByteView(o.ticket->ticket) : ByteView()});
  }
  std::vector<ByteView> alpn_names;
  alpn_names.reserve(opts.alpn.size());
  for (const auto& p : opts.alpn) alpn_names.push_back(ByteView(reinterpret_cast<const uint8_t*>(p.data()), p.size()));
  if (!alpn_names.empty())
    b.add(ExtensionType::application_layer_protocol_negotiation, wire::ProtocolNameList{alpn_names});
  if (!o.cookie.empty()) b.add(ExtensionType::cookie, wire::Cookie{o.cookie});
  Details cert_types;
  add_certificate_types(o, b, io.tracing() ? &cert_types : nullptr);
  // RFC 8449 §4: the limit for the highest version offered (a TLS 1.2 server reads a
  // TLS 1.3 value as its own maximum).
  const uint16_t record_limit =
      own_record_size_limit(opts, o.offer_tls13 ? ProtocolVersion::tls13 : ProtocolVersion::tls12);
  if (record_limit) b.add(ExtensionType::record_size_limit, wire::RecordSizeLimit{record_limit});
  // §4.2.9: only PSK with (EC)DHE, which keeps forward secrecy. Sent whenever TLS 1.3 is
  // offered, not only with a PSK: servers issue tickets only to clients that list a mode
  // (§4.6.1; Go's crypto/tls sends none otherwise).
  // §4.2.10: early_data goes in the first ClientHello only (§4.1.2: not after a retry).
  if (o.early && !o.retried) b.add(ExtensionType::early_data, wire::EmptyExtension{});
  // An external PSK in psk_ke mode asks for that mode alone (§4.2.9).
  const bool ke_only = o.external_psk && opts.psk_mode == PskMode::ke;
  if (o.offer_tls13)
    b.add(ExtensionType::psk_key_exchange_modes,
          wire::PskKeyExchangeModes{{ke_only ? wire::PskKeyExchangeMode::psk_ke : wire::PskKeyExchangeMode::psk_dhe_ke}});
  // §4.2.6: a client with a certificate to present offers post-handshake authentication.
  const bool offer_pha = o.offer_tls13 && !o.config->impl().certificates.empty();
  if (offer_pha) b.add(ExtensionType::post_handshake_auth, wire::EmptyExtension{});
  io.negotiated().post_handshake_auth_offered = offer_pha;
  const Bytes zero_binder(tls13_psk ? crypto::hash_len(o.psk_hash) : 0, 0);
  if (tls13_psk) {
    // §4.2.11: pre_shared_key is the last extension; its binder is patched in once the rest
    // is encoded.
    // §4.2.11: "For identities established externally, an obfuscated_ticket_age of 0
    // SHOULD be used".
    // §4.2.11.1: the ticket's age in milliseconds. The clock counts whole seconds, so two
    // readings one apart may be a moment or nearly two seconds apart: the age given is the
    // lower bound, one second less than the difference. A server may decline early data
    // from a client whose age runs ahead of its own view of it (GnuTLS does; §8.3).
    const std::time_t elapsed = o.now - o.ticket->received_at;
    const uint32_t age_ms = o.external_psk || elapsed <= 1 ? 0 : static_cast<uint32_t>((elapsed - 1) * 1000);
    wire::OfferedPsks psks;
    psks.identities.push_back({o.ticket->ticket, o.external_psk ? 0 : age_ms + o.ticket->age_add});
    psks.binders.push_back(zero_binder);
    b.add(ExtensionType::pre_shared_key, psks);
  }
  TLSPP_TRY_ASSIGN(ch.extensions, b.list());

  o.offered.clear();
  o.offered.reserve(ch.extensions.size());
  for (const auto& e : ch.extensions) o.offered.push_back(e.type);
  TLSPP_TRY_ASSIGN(Bytes msg, wire::encode_message(ch));
  if (tls13_psk) TLSPP_TRY(add_psk_binder(o, msg));
  o.transcript.add(msg);
  Details d;
  if (io.tracing()) {
    d = Details{{"versions", join_names(versions, protocol_version_name)},
                {"cipher_suites", join_names(ch.cipher_suites, cipher_suite_name)},
                {"groups", join_names(opts.groups, named_group_name)}};
    if (o.share) d.emplace_back("key_share", std::string(named_group_name(o.share->group())));
    d.emplace_back("signature_algorithms", join_names(schemes, signature_scheme_name));
    if (send_sni) d.emplace_back("server_name", std::string(sni_name));
    if (!alpn_names.empty()) d.emplace_back("alpn", alpn_list(alpn_names));
    if (!o.cookie.empty()) d.emplace_back("cookie", std::to_string(o.cookie.size()) + " bytes");
    if (tls13_psk)
      d.emplace_back("pre_shared_key", o.external_psk ? "external PSK '" + o.opts.external_psk->identity + "', " +
                                                            (ke_only ? "psk_ke" : "psk_dhe_ke")
                                                      : "1 ticket (" + std::to_string(o.ticket->ticket.size()) +
                                                            " bytes), psk_dhe_ke");
    if (tls12_session && !o.ticket->ticket.empty())
      d.emplace_back("session_ticket", std::to_string(o.ticket->ticket.size()) + " bytes");
    if (tls12_session && !o.ticket->session_id.empty())
      d.emplace_back("session_id", hex_string(o.ticket->session_id));
    for (auto& kv : cert_types) d.push_back(std::move(kv));
    if (record_limit) d.emplace_back("record_size_limit", std::to_string(record_limit));
    if (offer_pha) d.emplace_back("post_handshake_auth", "offered");
  }
  io.send_message({MessageType::client_hello, o.retried}, msg, std::move(d));
  o.client_hello = std::move(msg);
  return {};
}

Result<crypto::PublicKey> accept_server_chain(Io& io, const ClientOffer& o, std::span<const ByteView> chain) {
  const ClientOptions& opts = o.opts;
  auto& neg = io.negotiated();
  const auto& impl = o.config->impl();
  crypto::PublicKey key;
  if (!opts.insecure_skip_verification) {
    // verify_chain_only is the explicit way to skip the name check (pki skips it for an
    // empty name); a ServerName is never empty.
    auto verified = pki::verify_server_chain(*impl.trust, chain, opts.verify_chain_only ? "" : o.server_name.str(),
                                             io.now(), pki::Purpose::server, opts.min_rsa_key_bits);
    if (!verified) return fail(verified.error());
    key = verified->leaf_key;
    neg.peer_subject = verified->subject;
    neg.peer_verified = !opts.verify_chain_only;
    neg.peer_key = verified->key_description;
    // The SPKI as the certificate encodes it (strict DER), not re-encoded from the key:
    // OpenSSL 3.0's i2d_PUBKEY goes through the encoder machinery, ~70 us per call.
    neg.peer_spki_sha256 = spki_sha256_hex(verified->leaf_spki);
  } else {
    auto leaf = pki::parse_certificate(chain.front());
    if (!leaf) return fail(leaf.error());
    auto parsed = crypto::PublicKey::from_spki(leaf->spki);
    if (!parsed)
      return fail(Error{ErrorKind::bad_certificate, AlertDescription::unsupported_certificate,
                        "server certificate key is unusable: " + parsed.error().message});
    // Even unverified, a key is used for the handshake signature: its size is bounded.
    TLSPP_TRY(pki::check_key_size(*parsed, "server certificate '" + leaf->subject_string() + "'",
                                  opts.min_rsa_key_bits));
    key = *parsed;
    neg.peer_subject = leaf->subject_string();
    neg.peer_key = key.describe();
    neg.peer_spki_sha256 = spki_sha256_hex(leaf->spki);
  }
  neg.peer_raw_public_key = false;
  neg.peer_certificates.clear();
  for (ByteView c : chain) neg.peer_certificates.emplace_back(c.begin(), c.end());
  return key;
}

}  // namespace tlspp::handshake
