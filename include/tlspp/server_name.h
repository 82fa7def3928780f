/// @file
/// @brief The name a client connects to.
///
/// A ServerName is either a DNS host name ("example.com") or an IP address literal
/// ("192.0.2.1", "2001:db8::1", brackets allowed). It cannot be empty: the only way to get
/// one is ServerName::parse, which refuses anything that is neither. The client sends a
/// DNS name as SNI (RFC 6066 §3; an IP literal is never sent) and verifies the server's
/// certificate against it (RFC 6125), so a connection without a name to check cannot be
/// made by accident. ClientOptions::verify_chain_only is the explicit way to check the chain
/// alone.
#pragma once

#include <string>
#include <string_view>

#include "tlspp/error.h"
#include "tlspp/export.h"

namespace tlspp {

/// A DNS host name or an IP address literal that a client verifies the server against.
class TLSPP_API ServerName {
 public:
  /// "example.com", "example.com." (the trailing dot is dropped), "192.0.2.1", "[::1]".
  /// Fails with a config error naming the text for an empty string, a label over 63
  /// bytes, a name over 253 bytes, or characters a host name cannot have.
  [[nodiscard]] static Result<ServerName> parse(std::string_view text);

  /// The name as verified: a DNS name in lower case without a trailing dot, or the IP
  /// address as given (without brackets).
  [[nodiscard]] const std::string& str() const { return name_; }
  /// Whether the name is an IP address literal (never sent as SNI).
  [[nodiscard]] bool is_ip_address() const { return ip_; }
  /// What goes into the server_name extension: the DNS name, or empty for an IP address.
  [[nodiscard]] std::string_view sni() const { return ip_ ? std::string_view() : std::string_view(name_); }

  /// The same name (as str() spells it).
  friend bool operator==(const ServerName& a, const ServerName& b) { return a.name_ == b.name_; }

 private:
  ServerName(std::string name, bool ip) : name_(std::move(name)), ip_(ip) {}
  std::string name_;
  bool ip_ = false;
};

}  // namespace tlspp
