#include "pki/pem_blocks.h"

#include <string>
#include <string_view>

namespace tlspp::pki {

namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// RFC 4648 §4 with whitespace skipped; '=' padding only at the end.
Result<Bytes> base64_decode(std::string_view body, size_t block) {
  auto bad = [&](const char* why) {
    return fail(Error::config("PEM certificate block " + std::to_string(block) + " " + why));
  };
  Bytes out;
  out.reserve(body.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  size_t symbols = 0, padding = 0;
  for (char c : body) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    const int v = base64_value(c);
    if (v < 0) return bad("contains a character that is not base64");
    if (padding) return bad("has base64 data after '=' padding");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if (symbols % 4 != 0 || padding > 2) return bad("has a base64 length that is not a multiple of 4");
  // The leftover bits of a padded group must be zero (RFC 4648 §3.5, canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return bad("has non-canonical base64 padding bits");
  if (out.empty()) return bad("is empty");
  return out;
}

}  // namespace

std::vector<Result<Bytes>> decode_pem_certificates(ByteView data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  std::vector<Result<Bytes>> blocks;
  size_t pos = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    const size_t body = pos + kBegin.size();
    const size_t end = text.find(kEnd, body);
    const size_t number = blocks.size() + 1;
    // A BEGIN before the END means this block was never closed.
    const size_t next_begin = text.find("-----BEGIN ", body);
    if (end == std::string_view::npos || (next_begin != std::string_view::npos && next_begin < end)) {
      blocks.push_back(fail(Error::config("PEM certificate block " + std::to_string(number) +
                                          " has no END line")));
      if (end == std::string_view::npos) break;
      pos = next_begin;
      continue;
    }
    blocks.push_back(base64_decode(text.substr(body, end - body), number));
    pos = end + kEnd.size();
  }
  return blocks;
}

bool looks_like_pem(ByteView data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find("-----BEGIN ") != std::string_view::npos;
}

}  // namespace tlspp::pki
