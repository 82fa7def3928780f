#include "pki/pem_blocks.h"

#include "crypto/pem.h"

#include <string>
#include <string_view>

namespace tlspp::pki {

namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";

// RFC 7468: one certificate block's base64 body, with the block named in errors.
Result<Bytes> decode_block(std::string_view body, size_t block) {
  auto der = crypto::base64_decode(body);
  if (!der) return fail(Error::config("PEM certificate block " + std::to_string(block) + " " + der.error().message));
  if (der->empty()) return fail(Error::config("PEM certificate block " + std::to_string(block) + " is empty"));
  return der;
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
    blocks.push_back(decode_block(text.substr(body, end - body), number));
    pos = end + kEnd.size();
  }
  return blocks;
}

bool looks_like_pem(ByteView data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find("-----BEGIN ") != std::string_view::npos;
}

}  // namespace tlspp::pki
