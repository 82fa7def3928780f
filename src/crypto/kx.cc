// Ephemeral (EC)DHE key shares. Private keys come from raw bytes drawn from the configured
// RandomSource: cheaper than EVP_PKEY_keygen, and injectable so tests can use fixed keys.
//
// X25519 goes through EVP (libcrypto exposes no other X25519 entry point). For P-256 and
// P-384 the key share is just the scalar d and the point d*G, and agreement is one
// EC_POINT_mul: exactly what libcrypto's own ECDH does underneath, without building two
// EVP_PKEYs per handshake (which measured ~15 us of overhead on a ~33 us P-256 ECDH).
#include "crypto/kx.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>

namespace tlspp::crypto {
namespace {

EVP_PKEY* as_pkey(void* p) { return static_cast<EVP_PKEY*>(p); }
BIGNUM* as_bn(void* p) { return static_cast<BIGNUM*>(p); }

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BnClearFree {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
struct PointClearFree {
  void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
};
struct BnCtxFree {
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnClearFree>;
using PointPtr = std::unique_ptr<EC_POINT, PointClearFree>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxFree>;

struct Curve {
  const EC_GROUP* group;
  size_t len;  // bytes of a scalar and of a field element
};

// One EC_GROUP per curve for the whole process; the EC_POINT_* functions only read it,
// so it is shared by all threads.
const Curve* curve_for(NamedGroup g) {
  static const Curve p256{EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), 32};
  static const Curve p384{EC_GROUP_new_by_curve_name(NID_secp384r1), 48};
  switch (g) {
    case NamedGroup::secp256r1: return &p256;
    case NamedGroup::secp384r1: return &p384;
    default: return nullptr;
  }
}

std::string group_label(NamedGroup g) { return std::string(named_group_name(g)); }

Error lib_failure(const std::string& what) {
  ERR_clear_error();
  return Error::internal(what + " failed inside libcrypto");
}

Error x25519_low_order() {
  return Error::illegal("x25519 key share is a low-order point: the shared secret would be all zeros");
}

}  // namespace

bool kx_supported(NamedGroup g) {
  return g == NamedGroup::x25519 || g == NamedGroup::secp256r1 || g == NamedGroup::secp384r1;
}

size_t kx_public_len(NamedGroup g) {
  switch (g) {
    case NamedGroup::x25519: return 32;
    // RFC 8446 §4.2.8.2: legacy_form (one byte, 4) || X || Y.
    case NamedGroup::secp256r1: return 1 + 2 * 32;
    case NamedGroup::secp384r1: return 1 + 2 * 48;
    default: return 0;
  }
}

KeyShare::KeyShare(KeyShare&& o) noexcept
    : group_(o.group_),
      pkey_(std::exchange(o.pkey_, nullptr)),
      scalar_(std::exchange(o.scalar_, nullptr)),
      pub_len_(std::exchange(o.pub_len_, 0)) {
  std::memcpy(pub_, o.pub_, sizeof pub_);
}

KeyShare& KeyShare::operator=(KeyShare&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(as_pkey(pkey_));
    BN_clear_free(as_bn(scalar_));
    group_ = o.group_;
    pkey_ = std::exchange(o.pkey_, nullptr);
    scalar_ = std::exchange(o.scalar_, nullptr);
    std::memcpy(pub_, o.pub_, sizeof pub_);
    pub_len_ = std::exchange(o.pub_len_, 0);
  }
  return *this;
}

KeyShare::~KeyShare() {
  // EVP_PKEY_free cleanses the X25519 key; BN_clear_free the EC scalar.
  EVP_PKEY_free(as_pkey(pkey_));
  BN_clear_free(as_bn(scalar_));
}

Result<KeyShare> KeyShare::generate(NamedGroup group, RandomSource& rng) {
  KeyShare ks;
  ks.group_ = group;
  if (group == NamedGroup::x25519) {
    // RFC 7748 §6.1: the private key is 32 random bytes (X25519 clamps them itself).
    uint8_t priv[32];
    rng.fill(priv);
    EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, priv, sizeof priv);
    secure_wipe(priv, sizeof priv);
    if (pkey == nullptr) return fail(lib_failure("building an x25519 key"));
    ks.pkey_ = pkey;
    size_t len = sizeof ks.pub_;
    if (EVP_PKEY_get_raw_public_key(pkey, ks.pub_, &len) != 1 || len != 32) {
      return fail(lib_failure("reading the x25519 public key"));
    }
    ks.pub_len_ = len;
    return ks;
  }

  const Curve* c = curve_for(group);
  if (c == nullptr) {
    return fail(Error::internal("key exchange group " + group_label(group) + " is not supported"));
  }
  if (c->group == nullptr) return fail(lib_failure("loading curve " + group_label(group)));
  const BIGNUM* order = EC_GROUP_get0_order(c->group);
  BnPtr d(BN_new());
  PointPtr q(EC_POINT_new(c->group));
  if (d == nullptr || q == nullptr) return fail(lib_failure("allocating an EC key"));
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  // FIPS 186-4 §B.4.2 style rejection sampling: draw `len` bytes until 0 < d < n. For
  // P-256 and P-384 a redraw happens with probability below 2^-32.
  uint8_t priv[48];
  bool in_range = false;
  for (int attempt = 0; attempt < 64 && !in_range; ++attempt) {
    rng.fill({priv, c->len});
    if (BN_bin2bn(priv, static_cast<int>(c->len), d.get()) == nullptr) break;
    in_range = !BN_is_zero(d.get()) && BN_cmp(d.get(), order) < 0;
  }
  secure_wipe(priv, sizeof priv);
  if (!in_range) {
    ERR_clear_error();
    return fail(Error::internal("random source did not produce a valid " + group_label(group) + " scalar"));
  }
  // Q = d*G (constant-time for the secret scalar), sent as 0x04 || X || Y.
  if (EC_POINT_mul(c->group, q.get(), d.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(c->group, q.get(), POINT_CONVERSION_UNCOMPRESSED, ks.pub_, sizeof ks.pub_,
                         nullptr) != kx_public_len(group)) {
    return fail(lib_failure("computing the " + group_label(group) + " public key"));
  }
  ks.pub_len_ = kx_public_len(group);
  ks.scalar_ = d.release();
  return ks;
}

Result<Secret> KeyShare::agree(ByteView peer_public) const {
  const size_t want = kx_public_len(group_);
  if (peer_public.size() != want) {
    return fail(Error::illegal(group_label(group_) + " key share must be " + std::to_string(want) +
                               " bytes, got " + std::to_string(peer_public.size())));
  }

  if (group_ == NamedGroup::x25519) {
    if (pkey_ == nullptr) return fail(Error::internal("key agreement with an empty key share"));
    PkeyPtr peer(EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer_public.data(), 32));
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, as_pkey(pkey_), nullptr));
    if (peer == nullptr || ctx == nullptr || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer_ex(ctx.get(), peer.get(), 0) != 1) {
      return fail(lib_failure("x25519 key agreement setup"));
    }
    Secret shared = Secret::zeros(32);
    size_t len = 32;
    if (EVP_PKEY_derive(ctx.get(), shared.data().data(), &len) != 1) {
      // libcrypto refuses an all-zero X25519 output; nothing else can fail here.
      ERR_clear_error();
      return fail(x25519_low_order());
    }
    // RFC 8446 §7.4.2 and RFC 7748 §6.1: abort on an all-zero shared secret (a low-order
    // peer point). Checked here too so the rule does not depend on libcrypto's choice.
    static constexpr uint8_t kZero[32] = {};
    if (len != 32 || ct_equal(shared.view(), kZero)) return fail(x25519_low_order());
    return shared;
  }

  const Curve* c = curve_for(group_);
  if (c == nullptr || c->group == nullptr || scalar_ == nullptr) {
    return fail(Error::internal("key agreement with an empty key share"));
  }
  // RFC 8446 §4.2.8.2: only the uncompressed form (legacy_form = 4) is allowed, and peers
  // MUST validate the point (coordinates in range, on the curve; these curves have
  // cofactor 1, so that is the whole check).
  if (peer_public[0] != 0x04) {
    return fail(Error::illegal(group_label(group_) + " key share is not an uncompressed point (first byte " +
                               std::to_string(peer_public[0]) + ", want 4)"));
  }
  PointPtr peer(EC_POINT_new(c->group));
  PointPtr product(EC_POINT_new(c->group));
  BnPtr x(BN_new());
  BnCtxPtr bn_ctx(BN_CTX_new());
  if (peer == nullptr || product == nullptr || x == nullptr || bn_ctx == nullptr) {
    return fail(lib_failure("allocating ECDH temporaries"));
  }
  // oct2point rejects coordinates >= p and points that do not satisfy the curve equation.
  if (EC_POINT_oct2point(c->group, peer.get(), peer_public.data(), peer_public.size(), bn_ctx.get()) != 1) {
    ERR_clear_error();
    return fail(Error::illegal(group_label(group_) + " key share is not a point on the curve"));
  }
  // Z = d * Q_peer; with a valid Q and 0 < d < n, Z is never the point at infinity.
  if (EC_POINT_mul(c->group, product.get(), nullptr, peer.get(), as_bn(scalar_), bn_ctx.get()) != 1 ||
      EC_POINT_is_at_infinity(c->group, product.get()) == 1 ||
      EC_POINT_get_affine_coordinates(c->group, product.get(), x.get(), nullptr, bn_ctx.get()) != 1) {
    return fail(lib_failure(group_label(group_) + " key agreement"));
  }
  // RFC 8446 §7.4.1: the shared secret is the x-coordinate, as a field-length big-endian
  // string (leading zeros kept).
  Secret shared = Secret::zeros(c->len);
  if (BN_bn2binpad(x.get(), shared.data().data(), static_cast<int>(c->len)) != static_cast<int>(c->len)) {
    return fail(lib_failure(group_label(group_) + " shared secret encoding"));
  }
  return shared;
}

}  // namespace tlspp::crypto
