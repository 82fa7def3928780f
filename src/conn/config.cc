#include <cstdio>
#include <mutex>

#include "conn/core.h"
#include "crypto/kx.h"
#include "crypto/pem.h"
#include "handshake/common.h"
#include "handshake/config_impl.h"
#include "handshake/client.h"
#include "handshake/server.h"
#include "pki/certificate.h"

namespace tlspp {

namespace {

Status check_common(const CommonOptions& o) {
  if (o.cipher_suites.empty()) return fail(Error::config("no cipher suites configured"));
  for (auto s : o.cipher_suites)
    if (!handshake::tls13_suite(s) && !handshake::tls12_suite(s))
      return fail(Error::config("cipher suite " + std::string(cipher_suite_name(s)) + " is not supported"));
  const auto supported = [](ProtocolVersion v) { return v == ProtocolVersion::tls12 || v == ProtocolVersion::tls13; };
  if (!supported(o.min_version) || !supported(o.max_version))
    return fail(Error::config("only TLS 1.2 and TLS 1.3 are supported (min_version " +
                              std::string(protocol_version_name(o.min_version)) + ", max_version " +
                              std::string(protocol_version_name(o.max_version)) + ")"));
  if (o.min_version > o.max_version)
    return fail(Error::config("min_version " + std::string(protocol_version_name(o.min_version)) +
                              " is above max_version " + std::string(protocol_version_name(o.max_version))));
  const auto has = [&](bool (*kind)(CipherSuite)) { return std::any_of(o.cipher_suites.begin(), o.cipher_suites.end(), kind); };
  if (o.min_version == ProtocolVersion::tls13 && !has([](CipherSuite s) { return handshake::tls13_suite(s).has_value(); }))
    return fail(Error::config("TLS 1.3 is the only version enabled but no TLS 1.3 cipher suite is configured"));
  if (o.max_version == ProtocolVersion::tls12 && !has([](CipherSuite s) { return handshake::tls12_suite(s).has_value(); }))
    return fail(Error::config("TLS 1.2 is the only version enabled but no TLS 1.2 cipher suite is configured"));
  if (o.groups.empty()) return fail(Error::config("no key exchange groups configured"));
  for (auto g : o.groups)
    if (!crypto::kx_supported(g))
      return fail(Error::config("group " + std::string(named_group_name(g)) + " is not supported"));
  if (o.signature_schemes.empty()) return fail(Error::config("no signature schemes configured"));
  for (const auto& p : o.alpn)
    if (p.empty() || p.size() > 255) return fail(Error::config("ALPN protocol names must be 1 to 255 bytes"));
  if (o.min_rsa_key_bits < pki::kMinRsaBitsFloor || o.min_rsa_key_bits > pki::kMaxRsaBits)
    return fail(Error::config("min_rsa_key_bits must be between " + std::to_string(pki::kMinRsaBitsFloor) + " and " +
                              std::to_string(pki::kMaxRsaBits)));
  if (o.max_handshake_message < 1024) return fail(Error::config("max_handshake_message is below 1024 bytes"));
  // RFC 8449 §4: at least 64, at most TLS 1.3's 2^14 + 1.
  if (o.record_size_limit != 0 && (o.record_size_limit < 64 || o.record_size_limit > 16385))
    return fail(Error::config("record_size_limit must be 0 (not sent) or between 64 and 16385, not " +
                              std::to_string(o.record_size_limit)));
  return {};
}

Result<std::shared_ptr<const pki::TrustStore>> load_trust(const std::vector<std::string>& files, bool system) {
  if (files.empty() && system) return pki::TrustStore::system();
  auto store = std::make_shared<pki::TrustStore>();
  for (const auto& f : files) TLSPP_TRY(store->add_file(f));
  return std::shared_ptr<const pki::TrustStore>(std::move(store));
}

// Key material given inline stays in the configuration only in parsed form, inside the
// crypto layer; the copies in the options are wiped so that options() hands out none.
void wipe_key_material(std::vector<CertificateKeyPair>& pairs) {
  for (auto& p : pairs) {
    crypto::secure_wipe(p.key_pem.data(), p.key_pem.size());
    Bytes().swap(p.key_pem);
  }
}

Result<LoadedCertificate> load_certificate(const CertificateKeyPair& pair, int min_rsa_bits) {
  LoadedCertificate out;
  auto chain = pair.cert_file.empty() ? crypto::parse_certificates(pair.cert_pem, "certificate data")
                                      : crypto::load_certificates(pair.cert_file);
  if (!chain) return fail(chain.error());
  auto key = pair.key_file.empty() ? crypto::PrivateKey::parse(pair.key_pem, "key data")
                                   : crypto::load_private_key(pair.key_file);
  if (!key) return fail(key.error());
  const std::string where = pair.cert_file.empty() ? "the certificate data" : "'" + pair.cert_file + "'";
  auto leaf = pki::parse_certificate(chain->front());
  if (!leaf) return fail(Error::config("leaf certificate in " + where + " is malformed: " + leaf.error().message));
  // The key must belong to the leaf: compare the public key with the certificate's.
  const Bytes pub = key->public_key().spki();
  if (!std::equal(pub.begin(), pub.end(), leaf->spki.begin(), leaf->spki.end()) || pub.size() != leaf->spki.size())
    return fail(Error::config("private key does not match the leaf certificate in " + where));
  if (auto ok = pki::check_key_size(key->public_key(), "the leaf certificate in " + where, min_rsa_bits); !ok)
    return fail(Error::config(ok.error().message));
  for (const Bytes& der : *chain) {
    auto c = pki::parse_certificate(der);
    if (!c) return fail(Error::config("a certificate in " + where + " is malformed: " + c.error().message));
    if (!c->self_issued()) out.chain_signatures.push_back(c->signature_algorithm);
  }
  out.dns_names = leaf->dns_names();
  out.subject = leaf->subject_string();
  out.key_type = key->type();
  out.key = std::move(*key);
  out.chain = std::move(*chain);
  return out;
}

// RFC 7250: a key presented as a raw public key, kept in the LoadedCertificate form the
// handshake sends (its "chain" is the one DER SubjectPublicKeyInfo).
Result<LoadedCertificate> load_raw_key(const CertificateKeyPair& pair, int min_rsa_bits) {
  auto key = pair.key_file.empty() ? crypto::PrivateKey::parse(pair.key_pem, "key data")
                                   : crypto::load_private_key(pair.key_file);
  if (!key) return fail(key.error());
  const std::string where = pair.key_file.empty() ? "the key data" : "'" + pair.key_file + "'";
  if (auto ok = pki::check_key_size(key->public_key(), "the raw public key in " + where, min_rsa_bits); !ok)
    return fail(Error::config(ok.error().message));
  LoadedCertificate out;
  out.chain.push_back(key->public_key().spki());
  out.subject = "raw public key";
  out.key_type = key->type();
  out.key = std::move(*key);
  return out;
}

bool has_certificate(const CertificateKeyPair& pair) { return !pair.cert_file.empty() || !pair.cert_pem.empty(); }

// Loads each pair into the X.509 list, the raw public key list (RFC 7250), or both.
Status load_pairs(const std::vector<CertificateKeyPair>& pairs, int min_rsa_bits,
                  std::vector<LoadedCertificate>& certificates, std::vector<LoadedCertificate>& raw_keys) {
  for (const auto& pair : pairs) {
    if (!has_certificate(pair) && !pair.raw_public_key)
      return fail(Error::config("a key is given without a certificate: give cert_file or cert_pem, or set "
                                "raw_public_key to present the key alone (RFC 7250)"));
    if (has_certificate(pair)) {
      auto loaded = load_certificate(pair, min_rsa_bits);
      if (!loaded) return fail(loaded.error());
      certificates.push_back(std::move(*loaded));
    }
    if (pair.raw_public_key) {
      auto raw = load_raw_key(pair, min_rsa_bits);
      if (!raw) return fail(raw.error());
      raw_keys.push_back(std::move(*raw));
    }
  }
  return {};
}

// The SHA-256 of every pinned SubjectPublicKeyInfo: the hashes as given (32 bytes each) and
// those of the SPKIs given whole (each must parse as a public key).
Result<std::vector<Bytes>> collect_pins(const std::vector<Bytes>& hashes, const std::vector<Bytes>& spkis,
                                        std::string_view what) {
  std::vector<Bytes> pins;
  for (const Bytes& h : hashes) {
    if (h.size() != 32)
      return fail(Error::config(std::string(what) + "_sha256 entries must be 32-byte SHA-256 values, one is " +
                                std::to_string(h.size()) + " bytes"));
    pins.push_back(h);
  }
  for (const Bytes& der : spkis) {
    if (auto key = crypto::PublicKey::from_spki(der); !key)
      return fail(Error::config(std::string(what) + " holds an entry that is not a SubjectPublicKeyInfo: " +
                                key.error().message));
    const auto d = crypto::HashCtx::digest(crypto::HashAlg::sha256, der);
    pins.emplace_back(d.view().begin(), d.view().end());
  }
  return pins;
}

}  // namespace

KeyLogCallback keylog_to_file(const std::string& path) {
  struct File {
    std::FILE* f;
    std::mutex m;
    ~File() {
      if (f) std::fclose(f);
    }
  };
  auto file = std::make_shared<File>();
  file->f = std::fopen(path.c_str(), "a");
  if (!file->f) return {};
  return [file](const std::string& line) {
    std::lock_guard<std::mutex> lock(file->m);
    std::fprintf(file->f, "%s\n", line.c_str());
    std::fflush(file->f);
  };
}

KeyLogCallback keylog_from_environment() {
  const char* p = std::getenv("SSLKEYLOGFILE");
  if (!p || !*p) return {};
  return keylog_to_file(p);
}

namespace {

// RFC 8446 §4.2.11: identities of 1 to 2^16-1 bytes; keys long enough to be keys, and short
// enough to be held as secrets.
Status check_psk(const ExternalPsk& psk, const char* who) {
  if (psk.identity.empty() || psk.identity.size() > 0xffff)
    return fail(Error::config(std::string(who) + ": a PSK identity must be 1 to 65535 bytes"));
  if (psk.key.size() < 16 || psk.key.size() > 64)
    return fail(Error::config(std::string(who) + ": the PSK '" + psk.identity + "' must be 16 to 64 bytes, not " +
                              std::to_string(psk.key.size())));
  return {};
}

}  // namespace

ClientConfig::~ClientConfig() = default;
ServerConfig::~ServerConfig() = default;

Result<std::shared_ptr<const ClientConfig>> ClientConfig::create(ClientOptions options) {
  TLSPP_TRY(check_common(options));
  if (options.external_psk) TLSPP_TRY(check_psk(*options.external_psk, "external_psk"));
  std::shared_ptr<ClientConfig> c(new ClientConfig());
  c->impl_ = std::make_unique<Impl>();
  if (!options.insecure_skip_verification) {
    auto trust = load_trust(options.ca_files, options.use_system_roots);
    if (!trust) return fail(trust.error());
    c->impl_->trust = std::move(*trust);
  }
  TLSPP_TRY(load_pairs(options.client_certificates, options.min_rsa_key_bits, c->impl_->certificates,
                       c->impl_->raw_keys));
  TLSPP_TRY_ASSIGN(c->impl_->spki_pins, collect_pins(options.pinned_spki_sha256, options.pinned_spki, "pinned_spki"));
  c->impl_->random = options.random ? options.random : system_random();
  if (!options.random) options.random = c->impl_->random;
  wipe_key_material(options.client_certificates);
  c->options_ = std::move(options);
  return std::shared_ptr<const ClientConfig>(std::move(c));
}

Result<std::shared_ptr<const ServerConfig>> ServerConfig::create(ServerOptions options) {
  TLSPP_TRY(check_common(options));
  for (const auto& psk : options.external_psks) TLSPP_TRY(check_psk(psk, "external_psks"));
  if (options.certificates.empty() && options.external_psks.empty())
    return fail(Error::config("a server needs at least one certificate and key (or external PSKs)"));
  std::shared_ptr<ServerConfig> c(new ServerConfig());
  c->impl_ = std::make_unique<Impl>();
  TLSPP_TRY(load_pairs(options.certificates, options.min_rsa_key_bits, c->impl_->certificates, c->impl_->raw_keys));
  TLSPP_TRY_ASSIGN(c->impl_->client_spki_pins, collect_pins(options.pinned_client_spki_sha256,
                                                            options.pinned_client_spki, "pinned_client_spki"));
  if (options.client_auth == ClientAuth::none && !c->impl_->client_spki_pins.empty())
    return fail(Error::config("client raw public keys are pinned but client_auth is none, so none is asked for"));
  if (options.client_auth != ClientAuth::none) {
    // Client identities are vouched for only by anchors the application names: the system's
    // web PKI bundle would accept a certificate from any public CA as a client. Pinned raw
    // public keys (RFC 7250) are such a naming too; the store is then empty.
    if (options.client_ca_files.empty() && c->impl_->client_spki_pins.empty())
      return fail(Error::config("client authentication is enabled but no client CA is configured (client_ca_files): "
                                "the trust anchors for client certificates must be given"));
  }
  // Also without client_auth: a post-handshake certificate request (RFC 8446 §4.6.2) verifies
  // the answer against them.
  if (options.client_auth != ClientAuth::none || !options.client_ca_files.empty()) {
    auto trust = load_trust(options.client_ca_files, false);
    if (!trust) return fail(trust.error());
    c->impl_->client_trust = std::move(*trust);
  }
  c->impl_->random = options.random ? options.random : system_random();
  if (!options.random) options.random = c->impl_->random;
  c->impl_->cookie_key = crypto::Secret::zeros(32);
  c->impl_->random->fill(c->impl_->cookie_key.data());
  if (options.ticket_lifetime_seconds > 604800)
    return fail(Error::config("ticket lifetime over seven days (RFC 8446 §4.6.1)"));
  if (options.ticket_key_rotation_seconds == 0)
    return fail(Error::config("ticket_key_rotation_seconds must be at least 1"));
  if (options.ticket_lifetime_seconds > options.ticket_key_rotation_seconds)
    return fail(Error::config("ticket lifetime of " + std::to_string(options.ticket_lifetime_seconds) +
                              " s exceeds the ticket key rotation period of " +
                              std::to_string(options.ticket_key_rotation_seconds) +
                              " s: tickets would stop opening before they expire"));
  crypto::Secret master;
  if (!options.ticket_key.empty()) {
    if (options.ticket_key.size() != 32) return fail(Error::config("ticket_key must be 32 bytes"));
    master = crypto::Secret(options.ticket_key);
    crypto::secure_wipe(options.ticket_key.data(), options.ticket_key.size());
    Bytes().swap(options.ticket_key);
  } else {
    master = crypto::Secret::zeros(32);
    c->impl_->random->fill(master.data());
  }
  c->impl_->anti_replay = options.anti_replay;
  if (!c->impl_->anti_replay && options.max_early_data > 0) c->impl_->anti_replay = make_memory_anti_replay();
  c->impl_->tickets = std::make_unique<handshake::TicketKeys>(std::move(master), options.ticket_key_rotation_seconds,
                                                               options.ticket_key_source);
  if (options.session_cache_size > 0)
    c->impl_->session_cache = std::make_unique<handshake::SessionCache>(options.session_cache_size);
  wipe_key_material(options.certificates);
  c->options_ = std::move(options);
  return std::shared_ptr<const ServerConfig>(std::move(c));
}

Result<ClientConnection> ClientConnection::create(std::shared_ptr<const ClientConfig> config,
                                                  const ServerName& server_name) {
  return create_resuming(std::move(config), server_name, nullptr);
}

Result<ClientConnection> ClientConnection::create(std::shared_ptr<const ClientConfig> config,
                                                  const ServerName& server_name, const SessionTicket& ticket) {
  return create_resuming(std::move(config), server_name, &ticket);
}

Result<ClientConnection> ClientConnection::create_resuming(std::shared_ptr<const ClientConfig> config,
                                                           const ServerName& server_name, const SessionTicket* ticket) {
  if (!config) return fail(Error::config("no client configuration"));
  const CommonOptions& opts = config->options();
  auto hs = handshake::make_client(config, server_name, ticket);
  auto core = std::make_unique<Core>(Side::client, opts, std::move(hs));
  core->session_store = config->options().session_store;
  core->config_keepalive = config;
  TLSPP_TRY(core->start());
  return ClientConnection(std::move(core));
}

Result<ServerConnection> ServerConnection::create(std::shared_ptr<const ServerConfig> config) {
  if (!config) return fail(Error::config("no server configuration"));
  const CommonOptions& opts = config->options();
  auto hs = handshake::make_server(config);
  auto core = std::make_unique<Core>(Side::server, opts, std::move(hs));
  core->config_keepalive = config;
  TLSPP_TRY(core->start());
  return ServerConnection(std::move(core));
}

}  // namespace tlspp
