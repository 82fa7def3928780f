#include "pki/public_key.h"
#include "pki/ossl_ptr.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <string>

#include "pki/der.h"

namespace tlspp::pki {

namespace {

using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;

Error unusable(const Certificate& cert, const std::string& why) {
  return Error(ErrorKind::bad_certificate, AlertDescription::unsupported_certificate,
               "certificate '" + cert.subject_string() + "' has a public key tlspp cannot use: " + why);
}

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

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

// RFC 5480 §2.2: the ECPoint octets. Importing them with the group name builds the curve
// from scratch each time (~13 us for P-256); duplicating a parameters-only key of the curve
// and setting the point costs ~3.5 us. Setting the point checks that it lies on the curve.
// The templates are per thread, so no EVP_PKEY is shared between threads.
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

// RFC 8017 §A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }.
Result<EVP_PKEY*> rsa_key(ByteView bits) {
  der::Reader r(bits);
  auto seq = r.sequence("RSAPublicKey");
  if (!seq) return fail(std::move(seq.error()));
  TLSPP_TRY(r.expect_end("RSAPublicKey"));
  auto n_el = seq->expect(der::kInteger, "RSA modulus");
  if (!n_el) return fail(std::move(n_el.error()));
  auto e_el = seq->expect(der::kInteger, "RSA public exponent");
  if (!e_el) return fail(std::move(e_el.error()));
  TLSPP_TRY(seq->expect_end("RSAPublicKey"));
  auto n = der::integer(*n_el, "RSA modulus");
  if (!n) return fail(std::move(n.error()));
  auto e = der::integer(*e_el, "RSA public exponent");
  if (!e) return fail(std::move(e.error()));
  if (((*n)[0] & 0x80) || ((*e)[0] & 0x80)) return fail(Error::decode("RSA key has a negative modulus or exponent"));
  BnPtr bn_n(BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr));
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    ERR_clear_error();
    return fail(Error::internal("out of memory building an RSA key"));
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EVP_PKEY* pkey = params ? from_params("RSA", params.get()) : nullptr;
  if (!pkey) return fail(Error::decode("RSA key parameters are not accepted by libcrypto"));
  return pkey;
}

}  // namespace

Result<crypto::PublicKey> certificate_public_key(const Certificate& cert) {
  const ByteView bits = cert.public_key_bits;
  EVP_PKEY* pkey = nullptr;
  const char* what = nullptr;
  switch (cert.key_algorithm) {
    case KeyAlgorithm::ec_p256: pkey = ec_key(0, bits); what = "not a valid P-256 point"; break;
    case KeyAlgorithm::ec_p384: pkey = ec_key(1, bits); what = "not a valid P-384 point"; break;
    case KeyAlgorithm::ec_p521: pkey = ec_key(2, bits); what = "not a valid P-521 point"; break;
    case KeyAlgorithm::ed25519:
    case KeyAlgorithm::ed448: {
      // RFC 8410 §4: the raw public key octets.
      const bool ed25519 = cert.key_algorithm == KeyAlgorithm::ed25519;
      pkey = EVP_PKEY_new_raw_public_key_ex(nullptr, ed25519 ? "ED25519" : "ED448", nullptr, bits.data(), bits.size());
      if (!pkey) ERR_clear_error();
      what = ed25519 ? "not a valid Ed25519 key" : "not a valid Ed448 key";
      break;
    }
    case KeyAlgorithm::rsa: {
      auto k = rsa_key(bits);
      if (!k) return fail(unusable(cert, k.error().message));
      pkey = *k;
      break;
    }
    case KeyAlgorithm::rsa_pss:
    case KeyAlgorithm::ec_other:
    case KeyAlgorithm::unknown: {
      // Rare types go through the generic decoder.
      auto k = crypto::PublicKey::from_spki(cert.spki);
      if (!k) return fail(unusable(cert, k.error().message));
      return k;
    }
  }
  if (!pkey) return fail(unusable(cert, what));
  return crypto::PublicKey::adopt(pkey);
}

}  // namespace tlspp::pki
