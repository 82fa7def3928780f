#include "handshake/server_common.h"

#include <algorithm>

#include "handshake/common.h"
#include "pki/hostname.h"
#include "pki/verify.h"

namespace tlspp::handshake {

namespace {
// The CA names of a CertificateRequest, at most this many bytes. A store of hundreds of
// anchors would make every handshake carry them; past this the list is left empty.
constexpr size_t kMaxCaNamesBytes = 16 * 1024;
}  // namespace

Error handshake_failure(std::string what) {
  return Error{ErrorKind::peer_incompatible, AlertDescription::handshake_failure, std::move(what)};
}

Result<std::string> client_server_name(const wire::ClientHello& ch) {
  std::string sni;
  if (const auto* e = wire::find_extension(ch.extensions, wire::ExtensionType::server_name)) {
    auto names = wire::ServerNameList::decode(e->data);
    if (!names) return fail(names.error());
    if (auto h = names->host_name()) {
      sni = std::string(*h);
      pki::ascii_lower(sni);
    }
  }
  return sni;
}

Result<std::string> choose_alpn(const ServerOptions& opts, const wire::ClientHello& ch) {
  const auto* e = wire::find_extension(ch.extensions, wire::ExtensionType::application_layer_protocol_negotiation);
  if (!e || opts.alpn.empty()) return std::string();
  auto offered = wire::ProtocolNameList::decode(e->data, wire::ExtensionContext::client_hello);
  if (!offered) return fail(offered.error());
  for (const auto& p : opts.alpn)
    if (std::any_of(offered->names.begin(), offered->names.end(), [&](ByteView n) { return to_string(n) == p; }))
      return p;
  if (opts.require_alpn_match)
    return fail(Error{ErrorKind::peer_incompatible, AlertDescription::no_application_protocol,
                      "client offers ALPN protocols " + alpn_list(offered->names) + ", none of which this server speaks"});
  return std::string();
}

std::vector<CipherSuite> common_suites(const ServerOptions& opts, std::span<const CipherSuite> theirs,
                                       bool (*usable)(CipherSuite)) {
  const std::span<const CipherSuite> ours = opts.cipher_suites;
  const auto first = opts.prefer_server_cipher_order ? ours : theirs;
  const auto second = opts.prefer_server_cipher_order ? theirs : ours;
  std::vector<CipherSuite> out;
  for (auto s : first)
    if (usable(s) && std::find(second.begin(), second.end(), s) != second.end() &&
        std::find(out.begin(), out.end(), s) == out.end())
      out.push_back(s);
  return out;
}

std::string certificate_key_types(std::span<const LoadedCertificate> certs) {
  std::string keys;
  for (const auto& c : certs) keys += (keys.empty() ? "" : ", ") + std::string(crypto::key_type_name(c.key_type));
  return keys;
}

Result<crypto::PublicKey> verify_client_chain(Io& io, const ServerConfig& config, std::span<const ByteView> chain) {
  const auto& trust = config.impl().client_trust;
  if (!trust) return fail(Error::internal("client certificates requested without a trust store"));
  auto verified = pki::verify_server_chain(*trust, chain, "", io.now(), pki::Purpose::client,
                                           config.options().min_rsa_key_bits);
  if (!verified) return fail(verified.error());
  auto& neg = io.negotiated();
  neg.peer_subject = verified->subject;
  neg.peer_key = verified->key_description;
  neg.peer_verified = true;
  neg.peer_spki_sha256 = spki_sha256_hex(verified->leaf_spki);  // as encoded, not re-encoded
  for (ByteView c : chain) neg.peer_certificates.emplace_back(c.begin(), c.end());
  return verified->leaf_key;
}

std::vector<ByteView> client_ca_names(const ServerConfig& config) {
  std::vector<ByteView> names;
  const auto& trust = config.impl().client_trust;
  if (!trust) return names;
  size_t total = 0;
  for (const auto& anchor : trust->anchors()) {
    const ByteView subject = anchor->cert().subject;
    total += 2 + subject.size();
    if (total > kMaxCaNamesBytes) return {};
    names.push_back(subject);
  }
  return names;
}

}  // namespace tlspp::handshake
