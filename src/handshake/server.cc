#include "handshake/server.h"

#include <algorithm>

#include "handshake/common.h"
#include "wire/messages.h"

namespace tlspp::handshake {
namespace {

using wire::ExtensionType;

// RFC 7507 §6.
constexpr uint16_t kFallbackScsv = 0x5600;

struct VersionChoice {
  ProtocolVersion version;
  bool downgrade;  // TLS 1.2 chosen although this server speaks TLS 1.3
};

// RFC 8446 §4.2.1: a client offering TLS 1.3 lists its versions in supported_versions and the
// server picks the highest it supports; without the extension, legacy_version is the highest
// version the client speaks (RFC 5246 Appendix E.1).
Result<VersionChoice> choose_version(const ServerOptions& opts, const wire::ClientHello& ch, ByteView body) {
  // A version is spoken when it is in the configured range and some suite of it is configured.
  const auto allowed = [&](ProtocolVersion v) {
    if (v < opts.min_version || v > opts.max_version) return false;
    return std::any_of(opts.cipher_suites.begin(), opts.cipher_suites.end(), [&](CipherSuite s) {
      return v == ProtocolVersion::tls13 ? tls13_suite(s).has_value() : tls12_suite(s).has_value();
    });
  };
  const bool speaks13 = allowed(ProtocolVersion::tls13);
  // Appendix D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version ...
  // set to 0x0300 MUST abort the handshake with a "protocol_version" alert" (and anything
  // older is no TLS at all).
  if (static_cast<uint16_t>(ch.legacy_version) <= 0x0300)
    return fail(Error{ErrorKind::peer_incompatible, AlertDescription::protocol_version,
                      "ClientHello legacy_version 0x" + hex_string(body.first(2)) +
                          " is SSL 3.0 or older, which is refused (RFC 8446 Appendix D.5)"});
  std::optional<ProtocolVersion> chosen;
  std::optional<wire::SupportedVersionsList> versions;
  if (const auto* sv = wire::find_extension(ch.extensions, ExtensionType::supported_versions)) {
    auto decoded = wire::SupportedVersionsList::decode(sv->data);
    if (!decoded) return fail(decoded.error());
    versions = std::move(*decoded);
    for (auto v : {ProtocolVersion::tls13, ProtocolVersion::tls12})
      if (allowed(v) && std::find(versions->versions.begin(), versions->versions.end(), v) != versions->versions.end()) {
        chosen = v;
        break;
      }
  } else if (static_cast<uint16_t>(ch.legacy_version) >= 0x0303 && allowed(ProtocolVersion::tls12)) {
    chosen = ProtocolVersion::tls12;
  }
  if (!chosen) {
    const std::string offered = versions ? "client offers " + join_names(versions->versions, protocol_version_name)
                                         : "client offers only " + std::string(protocol_version_name(ch.legacy_version));
    const std::string ours = opts.min_version == opts.max_version
                                 ? "this server requires " + std::string(protocol_version_name(opts.max_version))
                                 : "this server speaks TLS 1.2 and TLS 1.3";
    return fail(Error{ErrorKind::peer_incompatible, AlertDescription::protocol_version, offered + "; " + ours});
  }
  // RFC 7507 §3: a client retrying with a lower version than it supports says so; if this
  // server could have given it more, someone interfered with the first attempt.
  const bool fallback =
      std::find(ch.cipher_suites.begin(), ch.cipher_suites.end(), static_cast<CipherSuite>(kFallbackScsv)) !=
      ch.cipher_suites.end();
  if (fallback && *chosen < opts.max_version)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::inappropriate_fallback,
                      "ClientHello carries TLS_FALLBACK_SCSV for " + std::string(protocol_version_name(*chosen)) +
                          ", but this server supports " + std::string(protocol_version_name(opts.max_version))});
  return VersionChoice{*chosen, *chosen == ProtocolVersion::tls12 && speaks13};
}

class Server final : public Handshake {
 public:
  explicit Server(std::shared_ptr<const ServerConfig> config) : config_(std::move(config)) {}

  Status start(Io&) override { return {}; }

  Status handle(Io& io, ByteView message) override {
    if (next_) return next_->handle(io, message);
    wire::Reader r(message);
    auto m = wire::read_handshake(r);
    if (!m) return fail(m.error());
    if (m->type != wire::HandshakeType::client_hello)
      return fail(Error::unexpected(std::string(wire::handshake_type_name(m->type)) +
                                    " received in state ExpectClientHello"));
    auto ch = wire::ClientHello::decode(m->body);
    if (!ch) return fail(ch.error());
    TLSPP_TRY_ASSIGN(const VersionChoice v, choose_version(config_->options(), *ch, m->body));
    auto next = v.version == ProtocolVersion::tls13 ? make_tls13_server(config_) : make_tls12_server(config_, v.downgrade);
    config_.reset();
    const Status s = next->first_client_hello(io, *m, *ch);
    next_ = std::move(next);
    return s;
  }

  bool done() const override { return next_ && next_->done(); }
  bool ccs_allowed() const override { return next_ && next_->ccs_allowed(); }
  Status change_cipher_spec(Io& io) override { return next_ ? next_->change_cipher_spec(io) : Status{}; }
  std::string_view state_name() const override { return next_ ? next_->state_name() : "ExpectClientHello"; }
  std::string explain_peer_alert(AlertDescription a) const override {
    return next_ ? next_->explain_peer_alert(a) : std::string();
  }
  std::string explain_transport_end() const override { return next_ ? next_->explain_transport_end() : std::string(); }

 private:
  std::shared_ptr<const ServerConfig> config_;
  std::unique_ptr<Handshake> next_;
};

}  // namespace

std::unique_ptr<Handshake> make_server(std::shared_ptr<const ServerConfig> config) {
  return std::make_unique<Server>(std::move(config));
}

}  // namespace tlspp::handshake
