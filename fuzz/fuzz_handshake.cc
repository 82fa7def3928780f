// libFuzzer target: every handshake message and extension decoder of wire/ fed hostile bytes.
//
// Byte 0 selects what the rest is:
//   0x80..0xff: one extension. (byte0 & 0x7f) % 7 picks the ExtensionContext (client_hello,
//               server_hello, hello_retry_request, encrypted_extensions, certificate_request,
//               certificate, new_session_ticket), the next 2 bytes are the extension type and
//               the remainder is its extension_data.
//   a HandshakeType value with a codec (1, 2, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20, 24, 254): the
//               rest is the body of such a message.
//   any other value (0 among them): the rest is a stream of whole handshake messages (header
//               and body), as found in a record payload; each is decoded by its type.
// Whatever decodes is re-encoded and must give back exactly the input bytes (the codecs are
// canonical), and re-decoding the encoding must succeed; a mismatch abort()s. Any other failure
// must be a clean Error; the only other crash is a sanitizer finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "wire/extensions.h"
#include "wire/messages.h"
#include "wire/messages12.h"

using namespace tlspp;
using namespace tlspp::wire;

namespace {

void require(bool ok) {
  if (!ok) abort();
}

bool same(ByteView a, ByteView b) { return std::ranges::equal(a, b); }

void check_extension(ExtensionContext ctx, const Extension& ext) {
  (void)tls13_extension_permitted(ext.type, ctx);
  Bytes re;
  auto typed = decode_typed_extension(ctx, ext, &re);
  if (!typed || !*typed) return;
  require(same(re, ext.data));
  Bytes again;
  auto redecoded = decode_typed_extension(ctx, Extension{ext.type, re}, &again);
  require(redecoded.has_value() && *redecoded && again == re);
}

void check_extensions(ExtensionContext ctx, const std::vector<Extension>& exts) {
  for (const Extension& e : exts) check_extension(ctx, e);
}

// Decodes `body` as M, and if it decodes checks the canonical re-encoding.
template <class M, class... Args>
const M* roundtrip(std::optional<M>& slot, ByteView body, Args... args) {
  auto m = M::decode(body, args...);
  if (!m) return nullptr;
  Bytes out;
  Writer w(out);
  m->encode(w);
  require(same(out, body));
  require(M::decode(ByteView(out), args...).has_value());
  // The framed form reads back as one message of the right type with the same body.
  const Bytes framed = encode_message(*m).value();
  Reader r(framed);
  auto msg = read_handshake(r);
  require(msg.has_value() && r.empty() && msg->type == M::kType && same(msg->body, body));
  require(handshake_message_size(framed) == framed.size());
  slot = std::move(*m);
  return &*slot;
}

void client_hello(ByteView body) {
  std::optional<ClientHello> slot;
  const ClientHello* ch = roundtrip(slot, body);
  if (ch == nullptr) return;
  check_extensions(ExtensionContext::client_hello, ch->extensions);
  if (ch->extensions.empty() || ch->extensions.back().ext_type() != ExtensionType::pre_shared_key) return;
  Bytes msg = encode_message(*ch).value();
  auto offset = client_hello_binders_offset(msg);
  auto psks = OfferedPsks::decode(ch->extensions.back().data);
  require(offset.has_value() == psks.has_value());
  if (!offset) return;
  require(*offset + psks->binders_wire_size() == msg.size());
  // Re-patching the binders with themselves leaves the message unchanged.
  const Bytes before = msg;
  std::vector<Bytes> copies;
  for (ByteView b : psks->binders) copies.emplace_back(b.begin(), b.end());
  std::vector<ByteView> views(copies.begin(), copies.end());
  require(patch_psk_binders(msg, views).has_value());
  require(msg == before);
}

void server_hello(ByteView body) {
  std::optional<ServerHello> slot;
  const ServerHello* sh = roundtrip(slot, body);
  if (sh == nullptr) return;
  (void)sh->downgrade();
  check_extensions(sh->extension_context(), sh->extensions);
}

void message(HandshakeType type, ByteView body) {
  switch (type) {
    case HandshakeType::client_hello:
      client_hello(body);
      return;
    case HandshakeType::server_hello:
      server_hello(body);
      return;
    case HandshakeType::new_session_ticket: {
      std::optional<NewSessionTicket> s13;
      if (const auto* m = roundtrip(s13, body)) check_extensions(ExtensionContext::new_session_ticket, m->extensions);
      std::optional<NewSessionTicket12> s12;
      (void)roundtrip(s12, body);
      return;
    }
    case HandshakeType::end_of_early_data: {
      std::optional<EndOfEarlyData> s;
      (void)roundtrip(s, body);
      return;
    }
    case HandshakeType::encrypted_extensions: {
      std::optional<EncryptedExtensions> s;
      if (const auto* m = roundtrip(s, body)) check_extensions(ExtensionContext::encrypted_extensions, m->extensions);
      return;
    }
    case HandshakeType::certificate: {
      std::optional<Certificate> s13;
      if (const auto* m = roundtrip(s13, body))
        for (const CertificateEntry& e : m->certificate_list) check_extensions(ExtensionContext::certificate, e.extensions);
      std::optional<Certificate12> s12;
      (void)roundtrip(s12, body);
      return;
    }
    case HandshakeType::server_key_exchange: {
      std::optional<ServerKeyExchangeEcdhe> s;
      if (const auto* m = roundtrip(s, body)) {
        Bytes params;
        Writer w(params);
        m->encode_params(w);
        require(params.size() <= body.size() && same(params, body.first(params.size())));
      }
      return;
    }
    case HandshakeType::certificate_request: {
      std::optional<CertificateRequest> s13;
      if (const auto* m = roundtrip(s13, body)) check_extensions(ExtensionContext::certificate_request, m->extensions);
      std::optional<CertificateRequest12> s12;
      (void)roundtrip(s12, body);
      return;
    }
    case HandshakeType::server_hello_done: {
      std::optional<ServerHelloDone> s;
      (void)roundtrip(s, body);
      return;
    }
    case HandshakeType::certificate_verify: {
      std::optional<CertificateVerify> s;
      (void)roundtrip(s, body);
      return;
    }
    case HandshakeType::client_key_exchange: {
      std::optional<ClientKeyExchangeEcdhe> s;
      (void)roundtrip(s, body);
      return;
    }
    case HandshakeType::finished: {
      // 12 (TLS 1.2), 32 (SHA-256) and 48 (SHA-384) byte verify_data.
      for (size_t len : {size_t{12}, size_t{32}, size_t{48}}) {
        std::optional<Finished> s;
        const Finished* f = roundtrip(s, body, len);
        require((f != nullptr) == (body.size() == len));
      }
      return;
    }
    case HandshakeType::key_update: {
      std::optional<KeyUpdate> s;
      const KeyUpdate* k = roundtrip(s, body);
      require((k != nullptr) == (body.size() == 1 && body[0] <= 1));
      return;
    }
    case HandshakeType::message_hash: {
      const Bytes synthetic = message_hash(body);
      Reader r(synthetic);
      auto msg = read_handshake(r);
      require(msg.has_value() && r.empty() && msg->type == HandshakeType::message_hash && same(msg->body, body));
      return;
    }
    case HandshakeType::hello_request:
      return;
  }
}

bool has_codec(uint8_t t) {
  switch (static_cast<HandshakeType>(t)) {
    case HandshakeType::hello_request:
      return false;
    case HandshakeType::client_hello:
    case HandshakeType::server_hello:
    case HandshakeType::new_session_ticket:
    case HandshakeType::end_of_early_data:
    case HandshakeType::encrypted_extensions:
    case HandshakeType::certificate:
    case HandshakeType::server_key_exchange:
    case HandshakeType::certificate_request:
    case HandshakeType::server_hello_done:
    case HandshakeType::certificate_verify:
    case HandshakeType::client_key_exchange:
    case HandshakeType::finished:
    case HandshakeType::key_update:
    case HandshakeType::message_hash:
      return true;
  }
  return false;
}

void stream(ByteView data) {
  Reader r(data);
  while (!r.empty()) {
    const ByteView at = r.rest();
    auto msg = read_handshake(r);
    const auto size = handshake_message_size(at);
    if (!msg) {
      // Only a truncated message fails to frame.
      require(!size.has_value() || *size > at.size());
      return;
    }
    require(size.has_value() && *size == msg->whole.size());
    message(msg->type, msg->body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const ByteView rest(data + 1, size - 1);
  if (selector & 0x80) {
    if (rest.size() < 2) return 0;
    const auto ctx = static_cast<ExtensionContext>((selector & 0x7f) % kExtensionContextCount);
    check_extension(ctx, Extension{static_cast<uint16_t>(rest[0] << 8 | rest[1]), rest.subspan(2)});
  } else if (has_codec(selector)) {
    message(static_cast<HandshakeType>(selector), rest);
  } else {
    stream(rest);
  }
  return 0;
}
