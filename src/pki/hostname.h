// Server identity checks (RFC 6125 §6) and the name forms of RFC 5280 name constraints.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pki/certificate.h"
#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::pki {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  uint8_t size = 0;  // 4 or 16
  [[nodiscard]] ByteView view() const { return {bytes.data(), size}; }
};

// An IPv4 dotted quad ("192.0.2.1", no leading zeros) or an IPv6 address ("2001:db8::1",
// optionally in brackets); nothing for anything else.
[[nodiscard]] std::optional<IpAddress> parse_ip_address(std::string_view text);

// Lower-cases the ASCII letters of a DNS name in place (RFC 4343: DNS names compare
// case-insensitively in ASCII only); other bytes stay as they are. Unlike std::tolower, no
// locale is consulted.
inline void ascii_lower(std::string& name) {
  for (char& c : name)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

// Whether `name` is usable as a reference DNS identity: ASCII letters, digits, '-' and '_',
// labels of 1..63 bytes, at most 253 bytes, one optional trailing dot.
[[nodiscard]] bool is_valid_dns_name(std::string_view name);

// RFC 6125 §6.4: whether a presented DNS identifier (a dNSName, or a CN used as one)
// matches the reference name. Case-insensitive; a trailing dot on either is ignored;
// '*' only as the complete left-most label of a name with at least three labels, matching
// exactly one non-empty label ("*.example.com" matches "a.example.com" but neither
// "example.com" nor "a.b.example.com"); partial wildcards ("f*.example.com") never match.
[[nodiscard]] bool dns_name_matches(std::string_view presented, std::string_view reference);

// RFC 6125 §6: checks that `cert` is valid for `host_name` (a DNS name or an IP literal).
// IP literals match only iPAddress subjectAltNames. DNS names match dNSName entries; the
// subject's most specific commonName is used instead only when the certificate has no
// dNSName at all. Mismatch: Error{bad_certificate, bad_certificate, "certificate for
// 'a.example', 'b.example' does not match the requested name 'c.example'"}. A host_name
// that is neither a valid DNS name nor an IP address is a config error.
[[nodiscard]] Status check_host_name(const Certificate& cert, std::string_view host_name);

// RFC 5280 §4.2.1.10: whether a DNS name lies inside the subtree of a dNSName
// constraint ("example.com" covers "example.com" and "a.example.com"; ".example.com" only
// the latter). `wildcard_may_enter` treats a left-most '*' label of `name` as able to
// become any label, for excluded-subtree checks.
[[nodiscard]] bool dns_name_in_subtree(std::string_view name, std::string_view constraint,
                                       bool wildcard_may_enter = false);
// RFC 5280 §4.2.1.10: an iPAddress constraint is address followed by mask.
[[nodiscard]] bool ip_in_subtree(ByteView address, ByteView constraint);

}  // namespace tlspp::pki
