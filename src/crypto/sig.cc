// Signature keys (EVP_PKEY references) and the TLS 1.3 signature schemes (RFC 8446 §4.2.3).
#include "crypto/sig.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "crypto/secret.h"

namespace tlspp::crypto {
namespace {

EVP_PKEY* as_pkey(void* p) { return static_cast<EVP_PKEY*>(p); }

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct Pkcs8Free {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using Pkcs8Ptr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, Pkcs8Free>;

KeyType type_of(const EVP_PKEY* p) {
  if (p == nullptr) return KeyType::other;
  if (EVP_PKEY_is_a(p, "RSA-PSS")) return KeyType::rsa_pss;
  if (EVP_PKEY_is_a(p, "RSA")) return KeyType::rsa;
  if (EVP_PKEY_is_a(p, "ED25519")) return KeyType::ed25519;
  if (EVP_PKEY_is_a(p, "ED448")) return KeyType::ed448;
  if (EVP_PKEY_is_a(p, "EC")) {
    // Only named curves count; keys with explicit curve parameters have no group name.
    char name[64];
    size_t len = 0;
    if (EVP_PKEY_get_group_name(p, name, sizeof name, &len) != 1) {
      ERR_clear_error();
      return KeyType::other;
    }
    int nid = OBJ_sn2nid(name);
    if (nid == NID_undef) nid = EC_curve_nist2nid(name);
    if (nid == NID_X9_62_prime256v1) return KeyType::ec_p256;
    if (nid == NID_secp384r1) return KeyType::ec_p384;
    if (nid == NID_secp521r1) return KeyType::ec_p521;
  }
  return KeyType::other;
}

std::string describe_key(const EVP_PKEY* p) {
  if (p == nullptr) return "no key";
  const KeyType t = type_of(p);
  switch (t) {
    case KeyType::rsa:
    case KeyType::rsa_pss:
      return std::string(key_type_name(t)) + " " + std::to_string(EVP_PKEY_get_bits(p));
    case KeyType::other: {
      const char* name = EVP_PKEY_get0_type_name(p);
      return std::string("unsupported ") + (name != nullptr ? name : "unknown") + " key";
    }
    default: return std::string(key_type_name(t));
  }
}

// The digest a scheme signs with; nullptr for the EdDSA schemes, which hash internally.
const char* scheme_digest(SignatureScheme s) {
  switch (s) {
    case SignatureScheme::rsa_pkcs1_sha256:
    case SignatureScheme::ecdsa_secp256r1_sha256:
    case SignatureScheme::rsa_pss_rsae_sha256:
    case SignatureScheme::rsa_pss_pss_sha256: return "SHA256";
    case SignatureScheme::rsa_pkcs1_sha384:
    case SignatureScheme::ecdsa_secp384r1_sha384:
    case SignatureScheme::rsa_pss_rsae_sha384:
    case SignatureScheme::rsa_pss_pss_sha384: return "SHA384";
    case SignatureScheme::rsa_pkcs1_sha512:
    case SignatureScheme::ecdsa_secp521r1_sha512:
    case SignatureScheme::rsa_pss_rsae_sha512:
    case SignatureScheme::rsa_pss_pss_sha512: return "SHA512";
    default: return nullptr;
  }
}

bool is_pss(SignatureScheme s) {
  switch (s) {
    case SignatureScheme::rsa_pss_rsae_sha256:
    case SignatureScheme::rsa_pss_rsae_sha384:
    case SignatureScheme::rsa_pss_rsae_sha512:
    case SignatureScheme::rsa_pss_pss_sha256:
    case SignatureScheme::rsa_pss_pss_sha384:
    case SignatureScheme::rsa_pss_pss_sha512: return true;
    default: return false;
  }
}

bool is_pkcs1(SignatureScheme s) {
  return s == SignatureScheme::rsa_pkcs1_sha256 || s == SignatureScheme::rsa_pkcs1_sha384 ||
         s == SignatureScheme::rsa_pkcs1_sha512;
}

// RFC 8446 §4.2.3: RSASSA-PSS with "the length of the Salt MUST be equal to the length of
// the digest algorithm" and MGF1 over the same digest. Verification enforces the same
// salt length rather than accepting any.
bool set_padding(EVP_PKEY_CTX* pctx, SignatureScheme s) {
  if (is_pss(s)) {
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, scheme_digest(s), nullptr) == 1;
  }
  if (is_pkcs1(s)) return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  return true;
}

std::string scheme_label(SignatureScheme s) { return std::string(signature_scheme_name(s)); }

// EVP_PKEY_up_ref on a possibly-null pointer.
void* ref(void* p) {
  if (p != nullptr) EVP_PKEY_up_ref(as_pkey(p));
  return p;
}

int no_password(char*, int, int, void*) {
  // Encrypted keys are not supported; never prompt on the terminal.
  return -1;
}

Result<PrivateKey> check_usable(EVP_PKEY* raw, std::string_view what) {
  PrivateKey key = PrivateKey::adopt(raw);
  if (key.type() == KeyType::other) {
    return fail(Error::config(std::string(what) + ": " + describe_key(raw) + " is not supported (want RSA, "
                              "RSA-PSS, ECDSA P-256/P-384/P-521, Ed25519 or Ed448)"));
  }
  return key;
}

}  // namespace

std::string_view key_type_name(KeyType t) {
  switch (t) {
    case KeyType::rsa: return "RSA";
    case KeyType::rsa_pss: return "RSA-PSS";
    case KeyType::ec_p256: return "ECDSA P-256";
    case KeyType::ec_p384: return "ECDSA P-384";
    case KeyType::ec_p521: return "ECDSA P-521";
    case KeyType::ed25519: return "Ed25519";
    case KeyType::ed448: return "Ed448";
    case KeyType::other: return "other";
  }
  return "other";
}

// ---- PkeyRef ----

PkeyRef::PkeyRef(const PkeyRef& o) : p_(ref(o.p_)) {}
PkeyRef& PkeyRef::operator=(const PkeyRef& o) {
  if (this != &o) {
    void* old = p_;
    p_ = ref(o.p_);
    EVP_PKEY_free(as_pkey(old));
  }
  return *this;
}
PkeyRef::PkeyRef(PkeyRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
PkeyRef& PkeyRef::operator=(PkeyRef&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(as_pkey(p_));
    p_ = std::exchange(o.p_, nullptr);
  }
  return *this;
}
// For private keys, the providers cleanse the key material when the last reference goes.
PkeyRef::~PkeyRef() { EVP_PKEY_free(as_pkey(p_)); }

// ---- PublicKey ----

PublicKey PublicKey::adopt(void* evp_pkey) {
  PublicKey k;
  k.pkey_ = PkeyRef(evp_pkey);
  return k;
}

Result<PublicKey> PublicKey::from_spki(ByteView der) {
  const unsigned char* p = der.data();
  EVP_PKEY* raw = der.empty() || der.size() > LONG_MAX
                      ? nullptr
                      : d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (raw == nullptr) {
    ERR_clear_error();
    return fail(Error{ErrorKind::bad_certificate, AlertDescription::bad_certificate,
                      "SubjectPublicKeyInfo does not decode as a public key"});
  }
  PublicKey key = adopt(raw);
  if (p != der.data() + der.size()) {
    return fail(Error{ErrorKind::bad_certificate, AlertDescription::bad_certificate,
                      "SubjectPublicKeyInfo has trailing bytes"});
  }
  return key;
}

KeyType PublicKey::type() const { return type_of(as_pkey(pkey_.get())); }
int PublicKey::bits() const { return pkey_.get() == nullptr ? 0 : EVP_PKEY_get_bits(as_pkey(pkey_.get())); }
std::string PublicKey::describe() const { return describe_key(as_pkey(pkey_.get())); }

Bytes PublicKey::spki() const {
  if (pkey_.get() == nullptr) return {};
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(as_pkey(pkey_.get()), &der);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// ---- PrivateKey ----

PrivateKey PrivateKey::adopt(void* evp_pkey) {
  PrivateKey k;
  k.pkey_ = PkeyRef(evp_pkey);
  return k;
}

KeyType PrivateKey::type() const { return type_of(as_pkey(pkey_.get())); }
std::string PrivateKey::describe() const { return describe_key(as_pkey(pkey_.get())); }

Result<PrivateKey> PrivateKey::parse(ByteView pem_or_der, std::string_view what) {
  const std::string_view text(reinterpret_cast<const char*>(pem_or_der.data()), pem_or_der.size());
  if (pem_or_der.empty()) return fail(Error::config(std::string(what) + ": is empty, not a private key"));
  if (pem_or_der.size() > INT_MAX) return fail(Error::config(std::string(what) + ": is too large"));

  if (text.find("-----BEGIN ") != std::string_view::npos) {
    if (text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
        text.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
      return fail(Error::config(std::string(what) + ": the private key is encrypted, which is not supported"));
    }
    BioPtr bio(BIO_new_mem_buf(pem_or_der.data(), static_cast<int>(pem_or_der.size())));
    if (bio == nullptr) return fail(Error::internal("out of memory reading a private key"));
    // Handles "PRIVATE KEY" (PKCS#8), "EC PRIVATE KEY" (SEC1) and "RSA PRIVATE KEY"
    // (PKCS#1), skipping other blocks such as certificates in a combined file.
    EVP_PKEY* raw = PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, no_password, nullptr, nullptr, nullptr);
    if (raw == nullptr) {
      ERR_clear_error();
      return fail(Error::config(std::string(what) + ": no readable private key in the PEM text"));
    }
    return check_usable(raw, what);
  }

  // DER: PKCS#8 PrivateKeyInfo, or a bare SEC1/PKCS#1 structure.
  const unsigned char* p = pem_or_der.data();
  EVP_PKEY* raw = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pem_or_der.size()));
  if (raw == nullptr) {
    ERR_clear_error();
    return fail(Error::config(std::string(what) + ": not a PEM or DER private key"));
  }
  if (p != pem_or_der.data() + pem_or_der.size()) {
    EVP_PKEY_free(raw);
    return fail(Error::config(std::string(what) + ": trailing bytes after the DER private key"));
  }
  return check_usable(raw, what);
}

Result<PrivateKey> PrivateKey::generate(KeyType type, int rsa_bits) {
  const char* alg = nullptr;
  const char* curve = nullptr;
  switch (type) {
    case KeyType::rsa: alg = "RSA"; break;
    case KeyType::rsa_pss: alg = "RSA-PSS"; break;
    case KeyType::ec_p256: alg = "EC"; curve = "P-256"; break;
    case KeyType::ec_p384: alg = "EC"; curve = "P-384"; break;
    case KeyType::ec_p521: alg = "EC"; curve = "P-521"; break;
    case KeyType::ed25519: alg = "ED25519"; break;
    case KeyType::ed448: alg = "ED448"; break;
    case KeyType::other: return fail(Error::internal("cannot generate a key of type 'other'"));
  }
  const bool rsa = type == KeyType::rsa || type == KeyType::rsa_pss;
  if (rsa && (rsa_bits < 1024 || rsa_bits > 16384)) {
    return fail(Error::internal("RSA key size " + std::to_string(rsa_bits) + " is out of range"));
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, alg, nullptr));
  bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx.get()) == 1;
  if (ok && curve != nullptr) ok = EVP_PKEY_CTX_set_group_name(ctx.get(), curve) == 1;
  if (ok && rsa) ok = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits) == 1;
  EVP_PKEY* raw = nullptr;
  if (ok) ok = EVP_PKEY_generate(ctx.get(), &raw) == 1;
  if (!ok) {
    ERR_clear_error();
    return fail(Error::internal(std::string("generating a ") + std::string(key_type_name(type)) +
                                " key failed inside libcrypto"));
  }
  return adopt(raw);
}

PublicKey PrivateKey::public_key() const {
  // Through the SPKI encoding, so the PublicKey carries no private material.
  if (pkey_.get() == nullptr) return {};
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(as_pkey(pkey_.get()), &der);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  const unsigned char* p = der;
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, len);
  OPENSSL_free(der);
  if (pub == nullptr) ERR_clear_error();
  return PublicKey::adopt(pub);
}

Bytes PrivateKey::pkcs8_der() const {
  if (pkey_.get() == nullptr) return {};
  Pkcs8Ptr info(EVP_PKEY2PKCS8(as_pkey(pkey_.get())));
  unsigned char* der = nullptr;
  const int len = info == nullptr ? 0 : i2d_PKCS8_PRIV_KEY_INFO(info.get(), &der);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return out;
}

// ---- schemes ----

bool scheme_matches_key(SignatureScheme scheme, KeyType type) {
  switch (scheme) {
    // RFC 8446 §4.2.3: rsaEncryption keys sign with PKCS#1 v1.5 (certificates, TLS 1.2)
    // and with RSASSA-PSS under the "rsae" code points.
    case SignatureScheme::rsa_pkcs1_sha256:
    case SignatureScheme::rsa_pkcs1_sha384:
    case SignatureScheme::rsa_pkcs1_sha512:
    case SignatureScheme::rsa_pss_rsae_sha256:
    case SignatureScheme::rsa_pss_rsae_sha384:
    case SignatureScheme::rsa_pss_rsae_sha512: return type == KeyType::rsa;
    // "pss" code points need an RSASSA-PSS (id-RSASSA-PSS) key.
    case SignatureScheme::rsa_pss_pss_sha256:
    case SignatureScheme::rsa_pss_pss_sha384:
    case SignatureScheme::rsa_pss_pss_sha512: return type == KeyType::rsa_pss;
    // In TLS 1.3 the ECDSA code points name the curve as well as the hash.
    case SignatureScheme::ecdsa_secp256r1_sha256: return type == KeyType::ec_p256;
    case SignatureScheme::ecdsa_secp384r1_sha384: return type == KeyType::ec_p384;
    case SignatureScheme::ecdsa_secp521r1_sha512: return type == KeyType::ec_p521;
    case SignatureScheme::ed25519: return type == KeyType::ed25519;
    case SignatureScheme::ed448: return type == KeyType::ed448;
    // SHA-1 schemes are not offered or accepted.
    case SignatureScheme::rsa_pkcs1_sha1:
    case SignatureScheme::ecdsa_sha1: return false;
  }
  return false;
}

Result<Bytes> sign(const PrivateKey& key, SignatureScheme scheme, ByteView message) {
  if (!key.valid()) return fail(Error::internal("signing with an empty private key"));
  if (!scheme_matches_key(scheme, key.type())) {
    return fail(Error::internal("cannot sign with " + scheme_label(scheme) + " using a " + key.describe() +
                                " key"));
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  size_t len = 0;
  bool ok = md != nullptr &&
            EVP_DigestSignInit_ex(md.get(), &pctx, scheme_digest(scheme), nullptr, nullptr,
                                  as_pkey(key.native()), nullptr) == 1 &&
            set_padding(pctx, scheme) &&
            EVP_DigestSign(md.get(), nullptr, &len, message.data(), message.size()) == 1;
  Bytes sig(len);
  ok = ok && EVP_DigestSign(md.get(), sig.data(), &len, message.data(), message.size()) == 1;
  if (!ok) {
    ERR_clear_error();
    return fail(Error::internal(scheme_label(scheme) + " signing with the " + key.describe() +
                                " key failed inside libcrypto"));
  }
  sig.resize(len);  // ECDSA signatures are DER and vary in length
  return sig;
}

Status verify(const PublicKey& key, SignatureScheme scheme, ByteView message, ByteView signature) {
  if (!key.valid()) return fail(Error::internal("verifying with an empty public key"));
  if (!scheme_matches_key(scheme, key.type())) {
    return fail(Error::illegal("signature scheme " + scheme_label(scheme) + " cannot be used with the peer's " +
                               key.describe() + " key"));
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (md == nullptr ||
      EVP_DigestVerifyInit_ex(md.get(), &pctx, scheme_digest(scheme), nullptr, nullptr,
                              as_pkey(key.native()), nullptr) != 1 ||
      !set_padding(pctx, scheme)) {
    ERR_clear_error();
    return fail(Error::internal(scheme_label(scheme) + " verification setup failed inside libcrypto"));
  }
  if (EVP_DigestVerify(md.get(), signature.data(), signature.size(), message.data(), message.size()) != 1) {
    ERR_clear_error();
    // RFC 8446 §4.4.3: a signature that does not verify ends the handshake with
    // decrypt_error.
    return fail(Error::crypto(AlertDescription::decrypt_error,
                              scheme_label(scheme) + " signature by the " + key.describe() +
                                  " key does not verify"));
  }
  return {};
}

Status verify_ecdsa_any_curve(const PublicKey& key, SignatureScheme scheme, ByteView message,
                              ByteView signature) {
  // The caller has classified the key already; only check that it is an EC key at all
  // (cheaper than type(), which also looks up the curve).
  const bool ecdsa_scheme = scheme == SignatureScheme::ecdsa_secp256r1_sha256 ||
                            scheme == SignatureScheme::ecdsa_secp384r1_sha384 ||
                            scheme == SignatureScheme::ecdsa_secp521r1_sha512;
  if (!ecdsa_scheme || !key.valid() || !EVP_PKEY_is_a(as_pkey(key.native()), "EC"))
    return fail(Error::internal("ECDSA verification needs an ECDSA scheme and an EC key"));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok = ctx &&
                  EVP_DigestVerifyInit_ex(ctx.get(), nullptr, scheme_digest(scheme), nullptr, nullptr,
                                          as_pkey(key.native()), nullptr) == 1 &&
                  EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                                   message.size()) == 1;
  if (!ok) {
    ERR_clear_error();
    return fail(Error::crypto(AlertDescription::decrypt_error, "ECDSA signature does not verify"));
  }
  return {};
}

}  // namespace tlspp::crypto
