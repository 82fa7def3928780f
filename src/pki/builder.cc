#include "pki/builder.h"
#include "pki/ossl_ptr.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "pki/hostname.h"

namespace tlspp::pki {

namespace {

using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using OctetPtr = std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

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

const EVP_MD* digest_for(crypto::KeyType t, int bits) {
  if (t != crypto::KeyType::ed25519 && t != crypto::KeyType::ed448) {
    if (bits == 1) return EVP_sha1();
    if (bits == 256) return EVP_sha256();
    if (bits == 384) return EVP_sha384();
    if (bits == 512) return EVP_sha512();
  }
  switch (t) {
    case crypto::KeyType::ed25519:
    case crypto::KeyType::ed448: return nullptr;  // EdDSA hashes internally (RFC 8032)
    case crypto::KeyType::ec_p384: return EVP_sha384();
    case crypto::KeyType::ec_p521: return EVP_sha512();
    default: return EVP_sha256();
  }
}

}  // namespace

CertificateBuilder::CertificateBuilder()
    : not_before_(std::time(nullptr) - 3600), not_after_(std::time(nullptr) + 365 * 86400) {}

CertificateBuilder& CertificateBuilder::common_name(std::string cn) { cn_ = std::move(cn); return *this; }
CertificateBuilder& CertificateBuilder::organization(std::string o) { org_ = std::move(o); return *this; }
CertificateBuilder& CertificateBuilder::dns_name(std::string name) { dns_.push_back(std::move(name)); return *this; }
CertificateBuilder& CertificateBuilder::ip_address(std::string text) { ips_.push_back(std::move(text)); return *this; }
CertificateBuilder& CertificateBuilder::validity(time_t nb, time_t na) {
  not_before_ = nb;
  not_after_ = na;
  return *this;
}
CertificateBuilder& CertificateBuilder::serial(uint64_t s) { serial_ = s; return *this; }
CertificateBuilder& CertificateBuilder::ca(bool is_ca, std::optional<uint32_t> path_len) {
  basic_constraints_ = true;
  ca_ = is_ca;
  path_len_ = path_len;
  return *this;
}
CertificateBuilder& CertificateBuilder::no_basic_constraints() { basic_constraints_ = false; return *this; }
CertificateBuilder& CertificateBuilder::key_usage(uint16_t bits) { key_usage_ = bits; return *this; }
CertificateBuilder& CertificateBuilder::ext_key_usage(uint8_t bits) { eku_ = bits; return *this; }
CertificateBuilder& CertificateBuilder::permitted_dns(std::string name) { permitted_dns_.push_back(std::move(name)); return *this; }
CertificateBuilder& CertificateBuilder::excluded_dns(std::string name) { excluded_dns_.push_back(std::move(name)); return *this; }
CertificateBuilder& CertificateBuilder::extension(std::string dotted_oid, bool critical, Bytes value_der) {
  extra_.push_back({std::move(dotted_oid), critical, std::move(value_der)});
  return *this;
}
CertificateBuilder& CertificateBuilder::rsa_pss(bool on) { rsa_pss_ = on; return *this; }
CertificateBuilder& CertificateBuilder::signature_hash(int bits) { hash_bits_ = bits; return *this; }

Result<Bytes> CertificateBuilder::self_signed(const crypto::PrivateKey& key) const {
  return build(key.public_key(), {}, key);
}

Result<Bytes> CertificateBuilder::issued_by(const crypto::PublicKey& subject_key, ByteView issuer_der,
                                            const crypto::PrivateKey& issuer_key) const {
  if (issuer_der.empty()) return fail(Error::internal("issued_by needs the issuer's certificate"));
  return build(subject_key, issuer_der, issuer_key);
}

Result<Bytes> CertificateBuilder::build(const crypto::PublicKey& subject_key, ByteView issuer_der,
                                        const crypto::PrivateKey& signer) const {
  if (!subject_key.valid() || !signer.valid()) return fail(Error::internal("building a certificate needs valid keys"));
  X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) return fail(openssl_error("X509_new"));

  // Serial: RFC 5280 §4.1.2.2, positive, at most 20 octets.
  {
    uint8_t raw[16];
    if (serial_) {
      for (int i = 0; i < 8; ++i) raw[i] = 0;
      for (int i = 0; i < 8; ++i) raw[8 + i] = static_cast<uint8_t>(*serial_ >> (56 - 8 * i));
    } else if (RAND_bytes(raw, sizeof raw) != 1) {
      return fail(openssl_error("RAND_bytes"));
    }
    raw[0] &= 0x7f;
    BnPtr bn(BN_bin2bn(raw, sizeof raw, nullptr));
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())))
      return fail(openssl_error("setting the serial number"));
  }
  if (!ASN1_TIME_set(X509_getm_notBefore(x.get()), not_before_) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), not_after_))
    return fail(openssl_error("setting the validity"));

  NamePtr subject(X509_NAME_new());
  auto add_entry = [&](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(subject.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!subject || (!org_.empty() && !add_entry("O", org_)) || (!cn_.empty() && !add_entry("CN", cn_)))
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
  if (basic_constraints_) {
    std::string bc = ca_ ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (ca_ && path_len_) bc += ",pathlen:" + std::to_string(*path_len_);
    TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_basic_constraints, bc));
  }
  const uint16_t ku = key_usage_.value_or(ca_ ? key_usage::key_cert_sign | key_usage::crl_sign
                                              : key_usage::digital_signature);
  if (ku) TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_key_usage, key_usage_text(ku)));
  const uint8_t eku = eku_.value_or(ca_ ? 0 : ext_key_usage::server_auth | ext_key_usage::client_auth);
  if (eku) {
    std::string s;
    auto add = [&](const char* n) { s += (s.empty() ? "" : ",") + std::string(n); };
    if (eku & ext_key_usage::server_auth) add("serverAuth");
    if (eku & ext_key_usage::client_auth) add("clientAuth");
    if (eku & ext_key_usage::any) add("anyExtendedKeyUsage");
    TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_ext_key_usage, s));
  }
  if (!dns_.empty() || !ips_.empty()) {
    std::string san;
    for (const auto& d : dns_) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    for (const auto& ip : ips_) {
      if (!parse_ip_address(ip)) return fail(Error::config("'" + ip + "' is not an IP address"));
      san += (san.empty() ? "IP:" : ",IP:") + ip;
    }
    TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_subject_alt_name, san));
  }
  if (!permitted_dns_.empty() || !excluded_dns_.empty()) {
    std::string nc = "critical";
    for (const auto& d : permitted_dns_) nc += ",permitted;DNS:" + d;
    for (const auto& d : excluded_dns_) nc += ",excluded;DNS:" + d;
    TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_name_constraints, nc));
  }
  TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (issuer) TLSPP_TRY(add_conf_ext(x.get(), &ctx, NID_authority_key_identifier, "keyid"));
  for (const RawExtension& e : extra_) {
    ObjPtr obj(OBJ_txt2obj(e.oid.c_str(), 1));
    OctetPtr value(ASN1_OCTET_STRING_new());
    if (!obj || !value ||
        ASN1_OCTET_STRING_set(value.get(), e.value.data(), static_cast<int>(e.value.size())) != 1)
      return fail(openssl_error("extension " + e.oid));
    ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), e.critical ? 1 : 0, value.get()));
    if (!ext || X509_add_ext(x.get(), ext.get(), -1) != 1) return fail(openssl_error("extension " + e.oid));
  }

  EVP_PKEY* sk = static_cast<EVP_PKEY*>(signer.native());
  const crypto::KeyType st = signer.type();
  if (rsa_pss_ && st == crypto::KeyType::rsa) {
    // RFC 4055 / RFC 8446 §4.2.3 form: SHA-256, MGF1-SHA-256, salt length 32.
    MdCtxPtr md(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!md || EVP_DigestSignInit(md.get(), &pctx, EVP_sha256(), nullptr, sk) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 || X509_sign_ctx(x.get(), md.get()) <= 0)
      return fail(openssl_error("RSASSA-PSS signing"));
  } else if (X509_sign(x.get(), sk, digest_for(st, hash_bits_)) <= 0) {
    return fail(openssl_error("signing"));
  }

  unsigned char* der = nullptr;
  const int len = i2d_X509(x.get(), &der);
  if (len <= 0) return fail(openssl_error("encoding"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::vector<Bytes> TestPki::chain() const {
  std::vector<Bytes> c{leaf};
  if (!intermediate.empty()) c.push_back(intermediate);
  return c;
}

TrustStore TestPki::trust_store() const {
  TrustStore s;
  // The root was produced by the builder and parses; a failure here would be a bug that
  // the verification tests would then report as unknown_ca.
  (void)s.add_der(root, "test root");
  return s;
}

Result<TestPki> make_test_pki(const TestPkiOptions& o) {
  if (o.names.empty()) return fail(Error::config("a test PKI needs at least one name"));
  TestPki pki;
  auto gen = [&]() { return crypto::PrivateKey::generate(o.key_type, o.rsa_bits); };
  const time_t nb = o.now - 3600, na = o.now + 30 * 86400;

  auto root_key = gen();
  if (!root_key) return fail(std::move(root_key.error()));
  pki.root_key = std::move(*root_key);
  auto root = CertificateBuilder().common_name("tlspp test root CA").organization(o.organization)
                  .validity(nb, na).ca(true).self_signed(pki.root_key);
  if (!root) return fail(std::move(root.error()));
  pki.root = std::move(*root);

  ByteView leaf_issuer = pki.root;
  crypto::PrivateKey* leaf_signer = &pki.root_key;
  if (o.intermediate) {
    auto ik = gen();
    if (!ik) return fail(std::move(ik.error()));
    pki.intermediate_key = std::move(*ik);
    auto inter = CertificateBuilder().common_name("tlspp test intermediate CA").organization(o.organization)
                     .validity(nb, na).ca(true, 0)
                     .issued_by(pki.intermediate_key.public_key(), pki.root, pki.root_key);
    if (!inter) return fail(std::move(inter.error()));
    pki.intermediate = std::move(*inter);
    leaf_issuer = pki.intermediate;
    leaf_signer = &pki.intermediate_key;
  }

  auto lk = gen();
  if (!lk) return fail(std::move(lk.error()));
  pki.leaf_key = std::move(*lk);
  CertificateBuilder leaf;
  leaf.common_name(o.names[0]).organization(o.organization).validity(nb, na).ca(false);
  for (const std::string& n : o.names) {
    if (parse_ip_address(n)) leaf.ip_address(n);
    else leaf.dns_name(n);
  }
  auto leaf_der = leaf.issued_by(pki.leaf_key.public_key(), leaf_issuer, *leaf_signer);
  if (!leaf_der) return fail(std::move(leaf_der.error()));
  pki.leaf = std::move(*leaf_der);
  return pki;
}

}  // namespace tlspp::pki
