#include "crypto/x509_build.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "crypto/ossl_ptr.h"

namespace tlspp::crypto {

namespace {

using X509Ptr = OsslPtr<X509, X509_free>;
using NamePtr = OsslPtr<X509_NAME, X509_NAME_free>;
using ExtPtr = OsslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using BnPtr = OsslPtr<BIGNUM, BN_free>;
using ObjPtr = OsslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
using OctetPtr = OsslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using MdCtxPtr = OsslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;

Error openssl_error(const std::string& what) {
  const unsigned long code = ERR_get_error();
  char buf[256] = "unknown reason";
  if (code) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return Error::internal("building a certificate: " + what + " failed (" + buf + ")");
}

std::string key_usage_text(uint16_t bits) {
  static constexpr const char* kNames[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                           "dataEncipherment", "keyAgreement", "keyCertSign",
                                           "cRLSign", "encipherOnly", "decipherOnly"};
  std::string s = "critical";
  for (int i = 0; i < 9; ++i)
    if (bits & (1u << i)) s += std::string(",") + kNames[i];
  return s;
}

Status add_conf_ext(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext) return fail(openssl_error(std::string(OBJ_nid2sn(nid)) + " '" + value + "'"));
  if (X509_add_ext(x, ext.get(), -1) != 1) return fail(openssl_error("adding an extension"));
  return {};
}

const EVP_MD* digest_for(KeyType t, int bits) {
  if (t != KeyType::ed25519 && t != KeyType::ed448) {
    if (bits == 1) return EVP_sha1();
    if (bits == 256) return EVP_sha256();
    if (bits == 384) return EVP_sha384();
    if (bits == 512) return EVP_sha512();
  }
  switch (t) {
    case KeyType::ed25519:
    case KeyType::ed448: return nullptr;  // EdDSA hashes internally (RFC 8032)
    case KeyType::ec_p384: return EVP_sha384();
    case KeyType::ec_p521: return EVP_sha512();
    default: return EVP_sha256();
  }
}

}  // namespace

Result<Bytes> build_x509(const X509Spec& spec, const PublicKey& subject_key, ByteView issuer_der,
                         const PrivateKey& signer) {
  if (!subject_key.valid() || !signer.valid()) return fail(Error::internal("building a certificate needs valid keys"));
  X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) return fail(openssl_error("X509_new"));

  // Serial: RFC 5280 §4.1.2.2, positive, at most 20 octets.
  {
    uint8_t raw[16];
    if (spec.serial) {
      for (int i = 0; i < 8; ++i) raw[i] = 0;
      for (int i = 0; i < 8; ++i) raw[8 + i] = static_cast<uint8_t>(*spec.serial >> (56 - 8 * i));
    } else if (RAND_bytes(raw, sizeof raw) != 1) {
      return fail(openssl_error("RAND_bytes"));
    }
    raw[0] &= 0x7f;
    BnPtr bn(BN_bin2bn(raw, sizeof raw, nullptr));
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())))
      return fail(openssl_error("setting the serial number"));
  }
  if (!ASN1_TIME_set(X509_getm_notBefore(x.get()), spec.not_before) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), spec.not_after))
    return fail(openssl_error("setting the validity"));

  NamePtr subject(X509_NAME_new());
  auto add_entry = [&](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(subject.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!subject || (!spec.organization.empty() && !add_entry("O", spec.organization)) ||
      (!spec.common_name.empty() && !add_entry("CN", spec.common_name)))
    return fail(openssl_error("setting the subject"));
  if (X509_set_subject_name(x.get(), subject.get()) != 1) return fail(openssl_error("setting the subject"));

  X509Ptr issuer;
  if (!issuer_der.empty()) {
    const unsigned char* p = issuer_der.data();
    issuer.reset(d2i_X509(nullptr, &p, static_cast<long>(issuer_der.size())));
    if (!issuer) return fail(openssl_error("decoding the issuer certificate"));
  }
  X509* issuer_x = issuer ? issuer.get() : x.get();
  if (X509_set_issuer_name(x.get(), X509_get_subject_name(issuer_x)) != 1)
    return fail(openssl_error("setting the issuer"));
  if (X509_set_pubkey(x.get(), static_cast<EVP_PKEY*>(subject_key.native())) != 1)
    return fail(openssl_error("setting the public key"));

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer_x, x.get(), nullptr, nullptr, 0);
  if (spec.basic_constraints) {
    std::string bc = spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (spec.ca && spec.path_len) bc += ",pathlen:" + std::to_string(*spec.path_len);
    TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_basic_constraints, bc));
  }
  if (spec.key_usage) TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_key_usage, key_usage_text(spec.key_usage)));
  if (spec.eku_server_auth || spec.eku_client_auth || spec.eku_any) {
    std::string s;
    auto add = [&](const char* n) { s += (s.empty() ? "" : ",") + std::string(n); };
    if (spec.eku_server_auth) add("serverAuth");
    if (spec.eku_client_auth) add("clientAuth");
    if (spec.eku_any) add("anyExtendedKeyUsage");
    TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_ext_key_usage, s));
  }
  if (!spec.dns_names.empty() || !spec.ip_addresses.empty()) {
    std::string san;
    for (const auto& d : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    for (const auto& ip : spec.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
    TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_subject_alt_name, san));
  }
  if (!spec.permitted_dns.empty() || !spec.excluded_dns.empty()) {
    std::string nc = "critical";
    for (const auto& d : spec.permitted_dns) nc += ",permitted;DNS:" + d;
    for (const auto& d : spec.excluded_dns) nc += ",excluded;DNS:" + d;
    TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_name_constraints, nc));
  }
  TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (issuer) TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_authority_key_identifier, "keyid"));
  for (const X509Spec::Extension& e : spec.extensions) {
    ObjPtr obj(OBJ_txt2obj(e.oid.c_str(), 1));
    OctetPtr value(ASN1_OCTET_STRING_new());
    if (!obj || !value ||
        ASN1_OCTET_STRING_set(value.get(), e.value.data(), static_cast<int>(e.value.size())) != 1)
      return fail(openssl_error("extension " + e.oid));
    ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), e.critical ? 1 : 0, value.get()));
    if (!ext || X509_add_ext(x.get(), ext.get(), -1) != 1) return fail(openssl_error("extension " + e.oid));
  }

  EVP_PKEY* sk = static_cast<EVP_PKEY*>(signer.native());
  const KeyType st = signer.type();
  if (spec.rsa_pss && st == KeyType::rsa) {
    // RFC 4055 / RFC 8446 §4.2.3 form: SHA-256, MGF1-SHA-256, salt length 32.
    MdCtxPtr md(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!md || EVP_DigestSignInit(md.get(), &pctx, EVP_sha256(), nullptr, sk) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 || X509_sign_ctx(x.get(), md.get()) <= 0)
      return fail(openssl_error("RSASSA-PSS signing"));
  } else if (X509_sign(x.get(), sk, digest_for(st, spec.hash_bits)) <= 0) {
    return fail(openssl_error("signing"));
  }

  unsigned char* der = nullptr;
  const int len = i2d_X509(x.get(), &der);
  if (len <= 0) return fail(openssl_error("encoding"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace tlspp::crypto
