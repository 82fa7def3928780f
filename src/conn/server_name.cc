#include "tlspp/server_name.h"

#include <algorithm>

#include "pki/hostname.h"

namespace tlspp {

Result<ServerName> ServerName::parse(std::string_view text) {
  if (text.empty()) return fail(Error::config("the server name is empty (a DNS name or an IP address is required)"));
  std::string_view inner = text;
  if (inner.size() >= 2 && inner.front() == '[' && inner.back() == ']') inner = inner.substr(1, inner.size() - 2);
  if (pki::parse_ip_address(inner)) return ServerName(std::string(inner), true);
  if (text.front() == '[')
    return fail(Error::config("server name '" + std::string(text) + "' is not a valid IP address"));
  std::string name(text);
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  pki::ascii_lower(name);
  // RFC 1123 §2.1: a label neither starts nor ends with a hyphen.
  bool hyphen_at_edge = false;
  for (size_t start = 0; start <= name.size();) {
    const size_t dot = std::min(name.find('.', start), name.size());
    if (dot > start && (name[start] == '-' || name[dot - 1] == '-')) hyphen_at_edge = true;
    start = dot + 1;
  }
  if (hyphen_at_edge || !pki::is_valid_dns_name(name))
    return fail(Error::config("server name '" + std::string(text) +
                              "' is neither a DNS host name nor an IP address"));
  return ServerName(std::move(name), false);
}

}  // namespace tlspp
