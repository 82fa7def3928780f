#include "summary.h"

#include <arpa/inet.h>

namespace tlspp::cli {

namespace {

std::string or_none(const std::string& s) { return s.empty() ? "none" : s; }

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

SummaryLines summarize(const Connection& conn, Side side) {
  const Negotiated& n = conn.negotiated();
  SummaryLines out;
  out.emplace_back("protocol", std::string(protocol_version_name(n.version)));
  out.emplace_back("cipher", std::string(cipher_suite_name(n.cipher_suite)));
  // A resumed session may have had no key exchange (TLS 1.2) and has no signature: none.
  out.emplace_back("group", n.group == NamedGroup{} ? "none" : std::string(named_group_name(n.group)));
  out.emplace_back("signature_scheme", n.signature_scheme == SignatureScheme{}
                                           ? "none"
                                           : std::string(signature_scheme_name(n.signature_scheme)));
  out.emplace_back("alpn", or_none(n.alpn));
  // RFC 6066 §3: an IP literal is never sent as SNI, so a client connecting to one sent none.
  const bool sni_sent = side == Side::server || !is_ip_literal(n.server_name);
  out.emplace_back("sni", sni_sent ? or_none(n.server_name) : "none");
  out.emplace_back("hello_retry_request", n.hello_retry_request ? "yes" : "no");
  out.emplace_back("resumed", n.resumed ? "yes" : "no");
  if (conn.early_data() != EarlyData::not_offered)
    out.emplace_back("early_data", conn.early_data() == EarlyData::accepted   ? "accepted"
                                   : conn.early_data() == EarlyData::rejected ? "rejected"
                                                                              : "offered");
  if (!n.psk_identity.empty())
    out.emplace_back("psk", n.psk_identity + (n.psk_without_dhe ? " (psk_ke)" : " (psk_dhe_ke)"));
  // A resumed session sends no certificate: the peer is who it proved to be when the
  // session was made, which the session remembers.
  const bool has_peer = !n.peer_certificates.empty() || (n.resumed && !n.peer_subject.empty());
  out.emplace_back("peer_certificate", !has_peer               ? "none"
                                       : n.peer_raw_public_key ? "raw public key (RFC 7250)"
                                                               : or_none(n.peer_subject));
  if (has_peer) out.emplace_back("peer_key", or_none(n.peer_key));
  // The value `tlspp client --pin-spki` takes for this peer's key.
  if (has_peer && !n.peer_spki_sha256.empty()) out.emplace_back("peer_spki_sha256", n.peer_spki_sha256);
  // RFC 8446 §4.6.2: whether the client offered post-handshake authentication and what the
  // last request came to.
  if (n.post_handshake_auth_offered)
    out.emplace_back("post_handshake_auth", n.post_handshake_auth_pending        ? "requested"
                                            : n.post_handshake_auth_answers == 0 ? "offered"
                                            : n.post_handshake_auth_declined     ? "answered without a certificate"
                                                                                 : "answered with a certificate");
  // RFC 8449: what the peer said it can receive, and whether our limit was answered.
  if (n.peer_record_size_limit)
    out.emplace_back("peer_record_size_limit", std::to_string(n.peer_record_size_limit) +
                                                   (n.record_size_limit_negotiated ? " (ours negotiated)" : ""));
  std::string verified;
  if (n.peer_verified)
    verified = n.peer_raw_public_key ? "yes (pinned key)" : "yes";
  else if (!n.psk_identity.empty())
    verified = "yes (external PSK)";
  else if (!has_peer)
    verified = "no (no certificate)";
  else
    verified = "no (insecure)";
  out.emplace_back("verified", verified);
  return out;
}

std::string format_summary(const SummaryLines& lines) {
  std::string s;
  for (const auto& [k, v] : lines) s += k + ": " + v + "\n";
  return s;
}

}  // namespace tlspp::cli
