#include "pki/hostname.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace tlspp::pki {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view strip_trailing_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Labels of 1..63 label characters separated by single dots (no trailing dot here).
bool valid_labels(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else {
      if (!is_label_char(c) || ++label > 63) return false;
    }
  }
  return label != 0;
}

size_t count_labels(std::string_view s) {
  size_t n = 1;
  for (char c : s) n += c == '.';
  return n;
}

std::string_view as_text(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    if (text.find(':') == std::string_view::npos) return std::nullopt;
  }
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  // glibc's inet_pton accepts exactly the dotted-quad (no leading zeros, no shorthand)
  // and RFC 4291 §2.2 forms.
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, ip.bytes.data()) != 1) return std::nullopt;
    ip.size = 4;
  } else {
    if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
    ip.size = 16;
  }
  return ip;
}

bool is_valid_dns_name(std::string_view name) { return valid_labels(strip_trailing_dot(name)); }

bool dns_name_matches(std::string_view presented, std::string_view reference) {
  presented = strip_trailing_dot(presented);
  reference = strip_trailing_dot(reference);
  if (!valid_labels(reference)) return false;
  if (presented.size() >= 2 && presented[0] == '*' && presented[1] == '.') {
    // RFC 6125 §6.4.3 rules 1 and 2: the wildcard is the whole left-most label and stands
    // for exactly one label. At least two labels must follow it, so "*.com" matches nothing.
    const std::string_view suffix = presented.substr(2);
    if (!valid_labels(suffix) || count_labels(suffix) < 2) return false;
    const size_t dot = reference.find('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    return iequal(reference.substr(dot + 1), suffix);
  }
  // No other '*' is allowed: valid_labels rejects it, which also refuses partial
  // wildcards such as "f*.example.com" (permitted by RFC 6125 §6.4.3 rule 3 but not by
  // the CA/Browser Forum rules or by modern clients).
  return valid_labels(presented) && iequal(presented, reference);
}

bool dns_name_in_subtree(std::string_view name, std::string_view constraint, bool wildcard_may_enter) {
  name = strip_trailing_dot(name);
  constraint = strip_trailing_dot(constraint);
  // An empty dNSName constraint covers every name.
  if (constraint.empty()) return true;
  bool subdomains_only = false;
  if (constraint.front() == '.') {
    subdomains_only = true;
    constraint.remove_prefix(1);
  }
  auto within = [&](std::string_view n) {
    if (!subdomains_only && iequal(n, constraint)) return true;
    return n.size() > constraint.size() && n[n.size() - constraint.size() - 1] == '.' &&
           iequal(n.substr(n.size() - constraint.size()), constraint);
  };
  if (within(name)) return true;
  if (wildcard_may_enter && name.size() >= 2 && name[0] == '*' && name[1] == '.') {
    // "*.example.com" can become "host.example.com": it enters a subtree rooted one label
    // below its suffix.
    const std::string_view suffix = name.substr(2);
    const size_t dot = constraint.find('.');
    if (dot != std::string_view::npos && dot > 0 && iequal(constraint.substr(dot + 1), suffix))
      return true;
  }
  return false;
}

bool ip_in_subtree(ByteView address, ByteView constraint) {
  if (constraint.size() != 2 * address.size()) return false;
  const size_t n = address.size();
  for (size_t i = 0; i < n; ++i)
    if ((address[i] & constraint[n + i]) != (constraint[i] & constraint[n + i])) return false;
  return true;
}

Status check_host_name(const Certificate& cert, std::string_view host_name) {
  const std::optional<IpAddress> ip = parse_ip_address(host_name);
  if (!ip && !is_valid_dns_name(host_name))
    return fail(Error::config("the requested server name '" + std::string(host_name) +
                              "' is neither a valid DNS name nor an IP address"));
  bool has_dns_san = false;
  for (const GeneralName& n : cert.subject_alt_names) {
    if (n.type == GeneralName::Type::ip_address) {
      // RFC 6125 §1.7.2 / RFC 5280 §4.2.1.6: IP addresses match iPAddress entries only,
      // as octet strings.
      if (ip && std::ranges::equal(n.value, ip->view())) return {};
    } else if (n.type == GeneralName::Type::dns_name) {
      has_dns_san = true;
      if (!ip && dns_name_matches(n.text(), host_name)) return {};
    }
  }
  // RFC 6125 §6.4.4: the commonName is a last resort, for DNS names, when no DNS-ID exists.
  std::optional<ByteView> cn;
  if (!has_dns_san) cn = cert.common_name();
  if (!ip && cn && dns_name_matches(as_text(*cn), host_name)) return {};

  std::string names;
  size_t listed = 0, total = 0;
  auto add = [&](const std::string& s) {
    ++total;
    if (listed == 4) return;
    if (listed++) names += ", ";
    names += "'" + s + "'";
  };
  for (const GeneralName& n : cert.subject_alt_names) {
    if (n.type == GeneralName::Type::dns_name) add(std::string(n.text()));
    if (n.type == GeneralName::Type::ip_address) add(ip_to_string(n.value));
  }
  if (total == 0 && cn) add(std::string(as_text(*cn)));
  if (total > listed) names += " and " + std::to_string(total - listed) + " more";
  const std::string wanted = "the requested name '" + std::string(host_name) + "'";
  std::string msg;
  if (total == 0) {
    msg = "certificate '" + cert.subject_string() + "' has no DNS name or IP address and does not match " + wanted;
  } else {
    msg = "certificate for " + names + " does not match " + wanted;
    if (ip) msg += " (an IP address matches only the certificate's IP address entries)";
  }
  return fail(Error(ErrorKind::bad_certificate, AlertDescription::bad_certificate, std::move(msg)));
}

}  // namespace tlspp::pki
