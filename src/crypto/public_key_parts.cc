// Public keys from the parts of a SubjectPublicKeyInfo (crypto::PublicKey::from_ec_point,
// from_eddsa, from_rsa).
//
// OpenSSL 3.0's d2i_PUBKEY (behind PublicKey::from_spki) runs the generic decoder machinery
// and costs 75-130 us per key, more than the signature it is needed for. pki/'s certificate
// parser has already taken the SubjectPublicKeyInfo apart, so the common key types are built
// directly from their parameters (EVP_PKEY_fromdata, raw EdDSA keys) at 3-5 us.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/ossl_ptr.h"
#include "crypto/sig.h"

namespace tlspp::crypto {

namespace {

using CtxPtr = OsslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using BnPtr = OsslPtr<BIGNUM, BN_free>;
using BldPtr = OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamsPtr = OsslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using PkeyPtr = OsslPtr<EVP_PKEY, EVP_PKEY_free>;

// Imports public key parameters through the provider's key management.
EVP_PKEY* from_params(const char* type, const OSSL_PARAM* params) {
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return pkey;
}

// Importing the ECPoint with the group name builds the curve from scratch each time (~13 us
// for P-256); duplicating a parameters-only key of the curve and setting the point costs
// ~3.5 us. Setting the point checks that it lies on the curve. The templates are per
// thread, so no EVP_PKEY is shared between threads.
EVP_PKEY* ec_key(int curve, ByteView point) {
  static constexpr const char* kGroups[3] = {"P-256", "P-384", "P-521"};
  thread_local PkeyPtr templates[3];
  PkeyPtr& tmpl = templates[curve];
  if (!tmpl) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(kGroups[curve]), 0),
        OSSL_PARAM_construct_end(),
    };
    CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* p = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &p, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
      ERR_clear_error();
      return nullptr;
    }
    tmpl.reset(p);
  }
  PkeyPtr key(EVP_PKEY_dup(tmpl.get()));
  if (!key || EVP_PKEY_set1_encoded_public_key(key.get(), point.data(), point.size()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return key.release();
}

}  // namespace

Result<PublicKey> PublicKey::from_ec_point(KeyType curve, ByteView point) {
  int index = 0;
  const char* what = nullptr;
  switch (curve) {
    case KeyType::ec_p256: index = 0; what = "not a valid P-256 point"; break;
    case KeyType::ec_p384: index = 1; what = "not a valid P-384 point"; break;
    case KeyType::ec_p521: index = 2; what = "not a valid P-521 point"; break;
    default: return fail(Error::internal("from_ec_point needs a P-256, P-384 or P-521 key type"));
  }
  EVP_PKEY* pkey = ec_key(index, point);
  if (!pkey) return fail(Error::decode(what));
  return adopt(pkey);
}

Result<PublicKey> PublicKey::from_eddsa(KeyType type, ByteView raw) {
  if (type != KeyType::ed25519 && type != KeyType::ed448)
    return fail(Error::internal("from_eddsa needs an Ed25519 or Ed448 key type"));
  const bool ed25519 = type == KeyType::ed25519;
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key_ex(nullptr, ed25519 ? "ED25519" : "ED448", nullptr, raw.data(),
                                                  raw.size());
  if (!pkey) {
    ERR_clear_error();
    return fail(Error::decode(ed25519 ? "not a valid Ed25519 key" : "not a valid Ed448 key"));
  }
  return adopt(pkey);
}

Result<PublicKey> PublicKey::from_rsa(ByteView modulus, ByteView exponent) {
  BnPtr bn_n(BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(exponent.data(), static_cast<int>(exponent.size()), nullptr));
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    ERR_clear_error();
    return fail(Error::internal("out of memory building an RSA key"));
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EVP_PKEY* pkey = params ? from_params("RSA", params.get()) : nullptr;
  if (!pkey) return fail(Error::decode("RSA key parameters are not accepted by libcrypto"));
  return adopt(pkey);
}

}  // namespace tlspp::crypto
