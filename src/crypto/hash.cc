// SHA-256/384 over the low-level OpenSSL contexts, stored inline so that a HashCtx copy
// is a memcpy (transcript snapshots) and no EVP provider dispatch happens per call.
// Those APIs are deprecated in OpenSSL 3 but remain supported for the whole 3.x series.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/hash.h"

#include <openssl/sha.h>

#include <cassert>
#include <cstring>
#include <new>

namespace tlspp::crypto {
namespace {

static_assert(sizeof(SHA256_CTX) <= 224, "HashCtx::state_ is too small for SHA256_CTX");
static_assert(sizeof(SHA512_CTX) <= 224, "HashCtx::state_ is too small for SHA512_CTX");
static_assert(alignof(SHA256_CTX) <= 16 && alignof(SHA512_CTX) <= 16,
              "HashCtx::state_ alignment is too small");

constexpr size_t block_len(HashAlg a) { return a == HashAlg::sha256 ? 64 : 128; }
// The bytes of state_ that the algorithm's context occupies: all that a wipe must clear.
constexpr size_t state_len(HashAlg a) { return a == HashAlg::sha256 ? sizeof(SHA256_CTX) : sizeof(SHA512_CTX); }

}  // namespace

HashCtx::HashCtx(HashAlg alg) : alg_(alg) {
  std::memset(state_, 0, sizeof state_);
  init();
}

void HashCtx::init() {
  if (alg_ == HashAlg::sha256) {
    SHA256_Init(reinterpret_cast<SHA256_CTX*>(state_));
  } else {
    SHA384_Init(reinterpret_cast<SHA512_CTX*>(state_));
  }
}

void HashCtx::wipe() {
  secure_wipe(state_, state_len(alg_));
  init();
}

Digest HashCtx::finish() {
  Digest d;
  d.len = static_cast<uint8_t>(hash_len(alg_));
  if (alg_ == HashAlg::sha256) {
    SHA256_Final(d.bytes, reinterpret_cast<SHA256_CTX*>(state_));
  } else {
    SHA384_Final(d.bytes, reinterpret_cast<SHA512_CTX*>(state_));
  }
  secure_wipe(state_, state_len(alg_));
  return d;
}

void HashCtx::update(ByteView data) {
  if (data.empty()) return;
  if (alg_ == HashAlg::sha256) {
    SHA256_Update(reinterpret_cast<SHA256_CTX*>(state_), data.data(), data.size());
  } else {
    SHA384_Update(reinterpret_cast<SHA512_CTX*>(state_), data.data(), data.size());
  }
}

Digest HashCtx::peek() const {
  // The copy may be the inner state of an HMAC key: finish() wipes it.
  HashCtx copy = *this;
  return copy.finish();
}

Digest HashCtx::digest(HashAlg alg, ByteView data) {
  HashCtx ctx(alg);
  ctx.update(data);
  return ctx.finish();
}

// RFC 2104 §2: inner = H((K ^ ipad) || text), outer = H((K ^ opad) || inner). The states
// after absorbing the two padded key blocks are computed once here and copied per MAC.
Hmac::Hmac(HashAlg alg, ByteView key) : inner_(alg), outer_(alg) {
  const size_t block = block_len(alg);
  uint8_t k[128] = {};
  if (key.size() > block) {
    // RFC 2104 §2: keys longer than the block are hashed first.
    Digest kd = HashCtx::digest(alg, key);
    std::memcpy(k, kd.bytes, kd.len);
    secure_wipe(kd.bytes, sizeof kd.bytes);
  } else if (!key.empty()) {
    std::memcpy(k, key.data(), key.size());
  }
  uint8_t pad[128];
  for (size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x36;
  inner_.update({pad, block});
  for (size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x5c;
  outer_.update({pad, block});
  secure_wipe(pad, sizeof pad);
  secure_wipe(k, sizeof k);
}

Hmac::~Hmac() {
  // The states are key-equivalent: anyone holding them can compute MACs.
  inner_.wipe();
  outer_.wipe();
}

Digest Hmac::compute(ByteView data) const { return compute(data, {}, {}); }

Digest Hmac::compute(ByteView a, ByteView b, ByteView c) const {
  // Both copies are finished in place, which wipes them (they hold key-derived state).
  HashCtx in = inner_;
  in.update(a);
  in.update(b);
  in.update(c);
  Digest inner_digest = in.finish();
  HashCtx out = outer_;
  out.update(inner_digest.view());
  Digest result = out.finish();
  secure_wipe(inner_digest.bytes, inner_digest.len);
  return result;
}

Digest hmac(HashAlg alg, ByteView key, ByteView data) { return Hmac(alg, key).compute(data); }

Secret hkdf_extract(HashAlg alg, ByteView salt, ByteView ikm) {
  // RFC 5869 §2.2: "if not provided, [salt] is set to a string of HashLen zeros".
  static constexpr uint8_t kZeros[48] = {};
  const ByteView s = salt.empty() ? ByteView(kZeros, hash_len(alg)) : salt;
  Digest prk = hmac(alg, s, ikm);
  Secret out(prk.view());
  secure_wipe(prk.bytes, sizeof prk.bytes);
  return out;
}

Status hkdf_expand(HashAlg alg, ByteView prk, ByteView info, MutByteView out) {
  const size_t hl = hash_len(alg);
  // RFC 5869 §2.3: L <= 255*HashLen.
  if (out.size() > 255 * hl) {
    return fail(Error::internal("HKDF-Expand output of " + std::to_string(out.size()) +
                                " bytes exceeds 255*HashLen"));
  }
  const Hmac mac(alg, prk);
  Digest t;  // T(0) is the empty string.
  size_t done = 0;
  for (uint8_t i = 1; done < out.size(); ++i) {
    // T(i) = HMAC-Hash(PRK, T(i-1) | info | i)
    const uint8_t counter = i;
    t = mac.compute(t.view(), info, {&counter, 1});
    const size_t n = std::min(hl, out.size() - done);
    std::memcpy(out.data() + done, t.bytes, n);
    done += n;
  }
  secure_wipe(t.bytes, sizeof t.bytes);
  return {};
}

Status hkdf_expand_label(HashAlg alg, ByteView secret, std::string_view label, ByteView context,
                         MutByteView out) {
  // RFC 8446 §7.1:
  //   struct {
  //       uint16 length = Length;
  //       opaque label<7..255> = "tls13 " + Label;
  //       opaque context<0..255> = Context;
  //   } HkdfLabel;
  static constexpr std::string_view kPrefix = "tls13 ";
  const size_t full_label = kPrefix.size() + label.size();
  if (full_label < 7 || full_label > 255) {
    return fail(Error::internal("HKDF-Expand-Label label '" + std::string(label) +
                                "' must be 1 to 249 bytes"));
  }
  if (context.size() > 255) {
    return fail(Error::internal("HKDF-Expand-Label context of " + std::to_string(context.size()) +
                                " bytes exceeds 255"));
  }
  if (out.size() > 0xffff) {
    return fail(Error::internal("HKDF-Expand-Label length exceeds 65535"));
  }
  uint8_t info[2 + 1 + 255 + 1 + 255];
  size_t n = 0;
  info[n++] = static_cast<uint8_t>(out.size() >> 8);
  info[n++] = static_cast<uint8_t>(out.size());
  info[n++] = static_cast<uint8_t>(full_label);
  std::memcpy(info + n, kPrefix.data(), kPrefix.size());
  n += kPrefix.size();
  if (!label.empty()) std::memcpy(info + n, label.data(), label.size());
  n += label.size();
  info[n++] = static_cast<uint8_t>(context.size());
  if (!context.empty()) std::memcpy(info + n, context.data(), context.size());
  n += context.size();
  return hkdf_expand(alg, secret, {info, n}, out);
}

Secret expand_label(HashAlg alg, ByteView secret, std::string_view label, ByteView context,
                    size_t len) {
  assert(len <= Secret::kMax && "expand_label output must fit a Secret");
  Secret out = Secret::zeros(len);
  if (!hkdf_expand_label(alg, secret, label, context, out.data())) {
    // Only reachable with an out-of-range label or context, a programming error; an
    // empty Secret then makes every later use (e.g. AeadCtx::set_key) fail loudly.
    assert(false && "expand_label called with an invalid label or context");
    out.wipe();
  }
  return out;
}

Secret derive_secret(HashAlg alg, ByteView secret, std::string_view label, ByteView transcript_hash) {
  // RFC 8446 §7.1: Derive-Secret(Secret, Label, Messages) =
  //   HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length)
  return expand_label(alg, secret, label, transcript_hash, hash_len(alg));
}

}  // namespace tlspp::crypto
