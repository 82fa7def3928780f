#include "support/openssl_view.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "crypto/ossl_ptr.h"
#include "pki/certificate.h"

namespace tlspp::test {

namespace {

using crypto::Deleter;
namespace ext_key_usage = pki::ext_key_usage;

using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

void free_general_names(GENERAL_NAMES* g) { GENERAL_NAMES_free(g); }
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, free_general_names>>;

std::string print_name(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 style with ", " separators and UTF-8 output (no escaping of bytes >= 0x80).
  const unsigned long flags = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_DN_REV | XN_FLAG_FN_SN | ASN1_STRFLGS_ESC_2253 |
                              ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_DUMP_UNKNOWN |
                              ASN1_STRFLGS_DUMP_DER;
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return "(unprintable)";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

int64_t to_epoch(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return INT64_MIN;
  return static_cast<int64_t>(timegm(&tm));
}

std::string key_name(EVP_PKEY* k) {
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA: return "RSA";
    case EVP_PKEY_RSA_PSS: return "RSA-PSS";
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_ED448: return "Ed448";
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(k, group, sizeof group, &len) != 1) return "ECDSA (other curve)";
      const std::string g(group, len);
      if (g == "prime256v1") return "ECDSA P-256";
      if (g == "secp384r1") return "ECDSA P-384";
      if (g == "secp521r1") return "ECDSA P-521";
      return "ECDSA (other curve)";
    }
    default: return "unknown key type";
  }
}

}  // namespace

Result<OpensslCertView> openssl_parse_certificate(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x || p != der.data() + der.size()) {
    ERR_clear_error();
    return fail(Error::decode("OpenSSL does not parse the certificate"));
  }
  OpensslCertView v;
  v.version = static_cast<int>(X509_get_version(x.get())) + 1;
  {
    BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr));
    char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
    if (hex) {
      v.serial_hex = hex;
      OPENSSL_free(hex);
    }
  }
  v.subject = print_name(X509_get_subject_name(x.get()));
  v.issuer = print_name(X509_get_issuer_name(x.get()));
  v.not_before = to_epoch(X509_get0_notBefore(x.get()));
  v.not_after = to_epoch(X509_get0_notAfter(x.get()));
  v.signature_algorithm = OBJ_nid2ln(X509_get_signature_nid(x.get()));
  if (EVP_PKEY* k = X509_get0_pubkey(x.get())) v.key_algorithm = key_name(k);
  else v.key_algorithm = "unknown key type";

  NamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      const ASN1_STRING* s = gn->d.dNSName;
      v.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                               static_cast<size_t>(ASN1_STRING_length(s)));
    } else if (gn->type == GEN_IPADD) {
      const ASN1_STRING* s = gn->d.iPAddress;
      char buf[INET6_ADDRSTRLEN] = {};
      const int len = ASN1_STRING_length(s);
      const int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
      if (af != -1 && inet_ntop(af, ASN1_STRING_get0_data(s), buf, sizeof buf)) v.ip_addresses.emplace_back(buf);
    }
  }

  const uint32_t flags = X509_get_extension_flags(x.get());  // also caches the extensions
  v.is_ca = (flags & EXFLAG_BCONS) && (flags & EXFLAG_CA);
  if (const long pl = X509_get_pathlen(x.get()); pl >= 0) v.path_len = static_cast<uint32_t>(pl);
  if (flags & EXFLAG_KUSAGE) {
    const uint32_t ku = X509_get_key_usage(x.get());
    // OpenSSL numbers the bits as they sit in the first two bytes of the BIT STRING.
    static constexpr uint32_t kOpenssl[9] = {KU_DIGITAL_SIGNATURE, KU_NON_REPUDIATION, KU_KEY_ENCIPHERMENT,
                                             KU_DATA_ENCIPHERMENT, KU_KEY_AGREEMENT, KU_KEY_CERT_SIGN,
                                             KU_CRL_SIGN, KU_ENCIPHER_ONLY, KU_DECIPHER_ONLY};
    uint16_t bits = 0;
    for (int i = 0; i < 9; ++i)
      if (ku & kOpenssl[i]) bits = static_cast<uint16_t>(bits | (1u << i));
    v.key_usage = bits;
  }
  if (flags & EXFLAG_XKUSAGE) {
    const uint32_t xku = X509_get_extended_key_usage(x.get());
    uint8_t bits = 0;
    if (xku & XKU_SSL_SERVER) bits |= ext_key_usage::server_auth;
    if (xku & XKU_SSL_CLIENT) bits |= ext_key_usage::client_auth;
    if (xku & XKU_ANYEKU) bits |= ext_key_usage::any;
    v.ext_key_usage = bits;
  }
  return v;
}

}  // namespace tlspp::test
