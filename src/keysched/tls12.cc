#include "keysched/tls12.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace tlspp::keysched::tls12 {

void prf(HashAlg alg, ByteView secret, std::string_view label, std::initializer_list<ByteView> seeds,
         MutByteView out) {
  prf(crypto::Hmac(alg, secret), label, seeds, out);
}

void prf(const crypto::Hmac& mac, std::string_view label, std::initializer_list<ByteView> seeds, MutByteView out) {
  // RFC 5246 §5: P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed)
  // + ..., A(0) = seed, A(i) = HMAC(secret, A(i-1)); here seed = label + seeds. The seeds of
  // the handshake's own calls (labels, randoms, hashes) fit on the stack; a longer one (an
  // exporter context) goes to the heap.
  size_t seed_len = label.size();
  for (ByteView s : seeds) seed_len += s.size();
  uint8_t small[192];
  Bytes large;
  uint8_t* seed = small;
  if (seed_len > sizeof small) {
    large.resize(seed_len);
    seed = large.data();
  }
  size_t at = 0;
  std::memcpy(seed, label.data(), label.size());
  at += label.size();
  for (ByteView s : seeds) {
    if (!s.empty()) std::memcpy(seed + at, s.data(), s.size());
    at += s.size();
  }
  const ByteView seed_view(seed, seed_len);
  crypto::Digest a = mac.compute(seed_view);
  size_t done = 0;
  for (;;) {
    const crypto::Digest block = mac.compute(a.view(), seed_view);
    const size_t n = std::min(out.size() - done, size_t{block.len});
    std::memcpy(out.data() + done, block.bytes, n);
    done += n;
    if (done == out.size()) break;
    a = mac.compute(a.view());  // A(i+1), only when another block is needed
  }
  crypto::secure_wipe(a.bytes, sizeof a.bytes);
}

Secret master_secret(HashAlg alg, ByteView pre_master_secret, ByteView client_random, ByteView server_random) {
  Secret out = Secret::zeros(kMasterSecretLen);
  prf(alg, pre_master_secret, "master secret", {client_random, server_random}, out.data());
  return out;
}

Secret extended_master_secret(HashAlg alg, ByteView pre_master_secret, ByteView session_hash) {
  Secret out = Secret::zeros(kMasterSecretLen);
  prf(alg, pre_master_secret, "extended master secret", {session_hash}, out.data());
  return out;
}

KeyBlock key_block(HashAlg alg, crypto::AeadAlg aead, ByteView master, ByteView client_random,
                   ByteView server_random) {
  return key_block(crypto::Hmac(alg, master), aead, client_random, server_random);
}

KeyBlock key_block(const crypto::Hmac& master_mac, crypto::AeadAlg aead, ByteView client_random,
                   ByteView server_random) {
  const size_t key_len = crypto::aead_key_len(aead);
  const size_t iv_len = aead == crypto::AeadAlg::chacha20poly1305 ? 12 : 4;
  // §6.3: client_write_MAC_key, server_write_MAC_key (empty for AEAD), client_write_key,
  // server_write_key, client_write_IV, server_write_IV.
  uint8_t block[2 * 32 + 2 * 12];
  const size_t total = 2 * key_len + 2 * iv_len;
  prf(master_mac, "key expansion", {server_random, client_random}, MutByteView(block, total));
  KeyBlock k;
  const ByteView b(block, total);
  k.client_write_key = Secret(b.subspan(0, key_len));
  k.server_write_key = Secret(b.subspan(key_len, key_len));
  k.client_write_iv = Secret(b.subspan(2 * key_len, iv_len));
  k.server_write_iv = Secret(b.subspan(2 * key_len + iv_len, iv_len));
  crypto::secure_wipe(block, sizeof block);
  return k;
}

std::array<uint8_t, kVerifyDataLen> finished_verify_data(HashAlg alg, ByteView master, bool client,
                                                         ByteView transcript_hash) {
  return finished_verify_data(crypto::Hmac(alg, master), client, transcript_hash);
}

std::array<uint8_t, kVerifyDataLen> finished_verify_data(const crypto::Hmac& master_mac, bool client,
                                                         ByteView transcript_hash) {
  std::array<uint8_t, kVerifyDataLen> out{};
  prf(master_mac, client ? "client finished" : "server finished", {transcript_hash}, out);
  return out;
}

bool finished_matches(HashAlg alg, ByteView master, bool client, ByteView transcript_hash, ByteView verify_data) {
  return finished_matches(crypto::Hmac(alg, master), client, transcript_hash, verify_data);
}

bool finished_matches(const crypto::Hmac& master_mac, bool client, ByteView transcript_hash, ByteView verify_data) {
  const auto expected = finished_verify_data(master_mac, client, transcript_hash);
  return crypto::ct_equal(expected, verify_data);
}

Status export_keying_material(HashAlg alg, ByteView master, std::string_view label, ByteView client_random,
                              ByteView server_random, const ByteView* context, MutByteView out) {
  // RFC 5705 §4: labels the key schedule uses cannot be exporter labels.
  for (std::string_view reserved : {"client finished", "server finished", "master secret", "key expansion",
                                    "extended master secret"})
    if (label == reserved)
      return fail(Error::config("exporter label '" + std::string(label) + "' is reserved by TLS"));
  if (!context) {
    prf(alg, master, label, {client_random, server_random}, out);
    return {};
  }
  if (context->size() > 0xffff) return fail(Error::config("exporter context over 65535 bytes"));
  const uint8_t len[2] = {static_cast<uint8_t>(context->size() >> 8), static_cast<uint8_t>(context->size())};
  prf(alg, master, label, {client_random, server_random, ByteView(len, 2), *context}, out);
  return {};
}

}  // namespace tlspp::keysched::tls12
