// libFuzzer target: the deframer and TLS 1.3 record decryption fed hostile bytes.
//
// Byte 0 selects the mode:
//   even: the rest is raw network bytes, fed to a Deframer in chunks whose sizes come from
//         byte 1, each record opened with RFC 8448 §3's server handshake key (so the seed
//         records from the trace decrypt and the fuzzer starts from real ciphertext);
//   odd:  the rest is a TLSInnerPlaintext chosen by the fuzzer, sealed with a real key and
//         then opened, to exercise content-type and padding parsing behind the MAC.
// Any error must be a clean Error; the only crash is a sanitizer finding or a broken
// round trip (abort).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "crypto/aead.h"
#include "keysched/tls13.h"
#include "record/record.h"

namespace {
// The record layer takes keys; derive them from a TLS 1.3 secret as the connection does.
bool install_tls13(tlspp::record::Protection& p, tlspp::crypto::AeadAlg aead, tlspp::crypto::HashAlg hash,
                   tlspp::ByteView secret) {
  const auto keys = tlspp::keysched::traffic_keys(hash, aead, secret);
  return static_cast<bool>(p.install(aead, keys.key.view(), keys.iv.view(), tlspp::record::RecordForm::tls13));
}
}  // namespace

using namespace tlspp;

namespace {

// RFC 8448 §3, server handshake traffic secret ("tls13 s hs traffic").
const uint8_t kSecret[32] = {0xb6, 0x7b, 0x7d, 0x69, 0x0c, 0xc1, 0x6c, 0x4e, 0x75, 0xe5, 0x42,
                             0x13, 0xcb, 0x2d, 0x37, 0xb4, 0xe9, 0xc9, 0x12, 0xbc, 0xde, 0xd9,
                             0x10, 0x5d, 0x42, 0xbe, 0xfd, 0x59, 0xd3, 0x91, 0xad, 0x38};

void raw_mode(const uint8_t* data, size_t size) {
  if (size < 1) return;
  const size_t chunk = 1 + data[0] % 64;
  ++data, --size;
  record::Protection reader;
  if (!install_tls13(reader, crypto::AeadAlg::aes128gcm, crypto::HashAlg::sha256, kSecret)) abort();
  record::Deframer d;
  for (size_t off = 0; off < size; off += chunk) {
    d.feed(ByteView(data + off, std::min(chunk, size - off)));
    for (;;) {
      auto rec = d.next();
      if (!rec) return;  // fatal framing error: the connection would end here
      if (!*rec) break;
      if ((*rec)->type == record::ContentType::application_data) {
        auto opened = reader.open(**rec);
        if (!opened) return;  // fatal: bad_record_mac and friends
        if (opened->plaintext.size() > record::kMaxPlaintext) abort();
      }
    }
  }
}

void sealed_mode(const uint8_t* data, size_t size) {
  if (size > record::kMaxCiphertext - crypto::kAeadTagLen) return;
  const auto keys = keysched::traffic_keys(crypto::HashAlg::sha256, crypto::AeadAlg::chacha20poly1305, kSecret);
  crypto::AeadCtx ctx;
  if (!ctx.set_key(crypto::AeadAlg::chacha20poly1305, keys.key.view())) abort();
  uint8_t nonce[12];
  std::memcpy(nonce, keys.iv.view().data(), 12);
  Bytes wire(record::kHeaderLen + size + crypto::kAeadTagLen);
  const size_t body = size + crypto::kAeadTagLen;
  wire[0] = 23, wire[1] = 3, wire[2] = 3, wire[3] = uint8_t(body >> 8), wire[4] = uint8_t(body);
  if (size) std::memcpy(wire.data() + record::kHeaderLen, data, size);
  if (!ctx.seal(nonce, ByteView(wire).first(5), ByteView(wire).subspan(5, size), MutByteView(wire).subspan(5)))
    abort();
  record::Protection reader;
  if (!install_tls13(reader, crypto::AeadAlg::chacha20poly1305, crypto::HashAlg::sha256, kSecret)) abort();
  record::Deframer d;
  d.feed(wire);
  auto rec = d.next();
  if (!rec || !*rec) abort();  // a well-framed record of legal size
  auto opened = reader.open(**rec);
  if (!opened) return;
  // The plaintext is the input up to its last non-zero byte, minus that (type) byte.
  size_t end = size;
  while (end > 0 && data[end - 1] == 0) --end;
  if (end == 0 || opened->plaintext.size() != end - 1) abort();
  if (std::memcmp(opened->plaintext.data(), data, end - 1) != 0) abort();
  if (static_cast<uint8_t>(opened->type) != data[end - 1]) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  if (data[0] & 1)
    sealed_mode(data + 1, size - 1);
  else
    raw_mode(data + 1, size - 1);
  return 0;
}
