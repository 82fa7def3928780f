// The raw-crypto floor: the libcrypto work a TLS 1.3 handshake or record stream cannot
// avoid, done the cheapest sensible way (algorithms fetched once, contexts created once and
// re-keyed), with nothing else: no parsing, no framing, no state machine, no allocation
// beyond what libcrypto's own calls make.
//
// A handshake here is a real exchange between a "client" and a "server" in one loop, timed
// per side like the library measurements, so every value checked is genuine: the X25519
// shares agree, the CertificateVerify signature is the one the server just made, the
// Finished MACs are compared, the records open. What each side does (RFC 8446 §4, §7):
//   server: X25519 key generation and shared secret (peer share from raw bytes); the
//           transcript hash at the points the schedule needs it; Handshake Secret, both
//           handshake traffic secrets, Master Secret, both application traffic secrets (HKDF,
//           one HMAC each); key and IV for the four traffic secrets (8 HMACs); both Finished
//           keys and MACs; one signature (full handshakes); four AEAD key set-ups; seal the
//           EncryptedExtensions..Finished flight as one record; open the client's Finished.
//   client: the same key exchange and schedule; turn the leaf's public key into a key
//           object; verify the leaf certificate's signature with the root key and the
//           CertificateVerify with the leaf key (full handshakes); open the flight; seal
//           its Finished.
//   resumed (psk_dhe_ke): no certificate and no signature; the early secret from the PSK,
//           the binder key, and the binder MAC (made by the client, checked by the server).
// Not in the floor: the ClientHello-independent constants (the no-PSK Early Secret and its
// "derived" secret), ticket encryption (a server could keep a cache instead), host name
// and certificate field checks (no cryptography).
//
// TLS 1.2 (RFC 5246 with RFC 8422 ECDHE, RFC 5288 AES-GCM, RFC 7627 extended master
// secret), TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 with X25519; the PRF is P_SHA256 made
// of HMAC-SHA256 calls on one context, keyed once per secret (on OpenSSL 3.0 about a third
// of the time of EVP_KDF "TLS1-PRF", whose context has to be reset and given digest,
// secret and seed again for every derivation; the two are checked to agree at start-up).
// Full handshake, per side:
//   server: X25519 key generation; the ServerKeyExchange signature (ECDSA P-256 over
//           client_random, server_random and the ECDH parameters); the X25519 shared secret
//           from the ClientKeyExchange; the running transcript hash (SHA-256) with two
//           snapshots: the session hash after ClientKeyExchange (which is also what the
//           client's Finished covers) and the hash after the client's Finished; the PRF
//           for the extended master secret over the session hash (2 output blocks: 4
//           HMACs), the key block (40 bytes: 4 HMACs), the client's Finished checked and
//           its own Finished made (1 block each: 2 HMACs); two AEAD key set-ups; open the
//           client's Finished record, seal its own.
//   client: X25519 key generation and shared secret; turn the leaf's public key into a key
//           object; verify the leaf certificate's signature with the root key and the
//           ServerKeyExchange signature with the leaf key; the same transcript snapshots
//           and PRF calls (its Finished made, the server's checked); two AEAD key
//           set-ups; seal its Finished record, open the server's.
//   resumed (RFC 5077 ticket, abbreviated handshake): no ECDHE and no signatures; from
//           the saved master secret the key block and both Finished (each side makes one
//           and checks the other), two transcript snapshots (after ServerHello; after the
//           server's Finished), two AEAD key set-ups, one Finished record each way. As in
//           the TLS 1.3 floor, the ticket's own encryption and decryption are left out.
//   Records (RFC 5246 §6.2.3.3): additional data is seq_num, type, version and length; the
//   GCM nonce is the 4-byte salt from the key block and an 8-byte explicit part sent in the
//   record (here the sequence number, as most implementations do); the ChaCha20-Poly1305
//   nonce (RFC 7905 §2) is the 12-byte IV xor the sequence number, nothing sent.
// Not in the TLS 1.2 floor either: the hello randoms (fixed here), the ChangeCipherSpec
// messages, and the certificate checks that are not cryptography.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "sides.h"

namespace bench {
namespace {

using tlspp::Bytes;

constexpr size_t kHashLen = 32;  // SHA-256: the suite of the handshake rows
constexpr size_t kTagLen = 16;
constexpr size_t kIvLen = 12;

[[noreturn]] void fail(const char* what) { die(std::string("floor: ") + what); }

// Plausible message sizes for the transcript hash (the content does not matter to the
// cost); the Certificate and CertificateVerify sizes come from the real certificate and
// signature.
constexpr size_t kClientHello = 200;
constexpr size_t kServerHello = 90;
constexpr size_t kEncryptedExtensions = 6;
constexpr size_t kFinished = 4 + kHashLen;
constexpr size_t kBinders = 2 + 1 + kHashLen;
// TLS 1.2 messages (RFC 5246 §7.4) the floor hashes as stand-ins, and the lengths it uses.
constexpr size_t kTicket = 192;          // the RFC 5077 ticket a resuming ClientHello carries
constexpr size_t kServerHelloDone = 4;
constexpr size_t kClientKeyExchange = 4 + 1 + 32;  // RFC 8422 §5.7: one X25519 public value
constexpr size_t kVerifyData = 12;       // RFC 5246 §7.4.9
constexpr size_t kFinished12 = 4 + kVerifyData;
constexpr size_t kMasterLen = 48;
constexpr size_t kKeyBlock = 2 * 16 + 2 * 4;  // AES-128-GCM: two keys, two 4-byte salts

struct Hmac {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  Hmac() {
    mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (!ctx || EVP_MAC_CTX_set_params(ctx, params) != 1) fail("HMAC");
  }
  ~Hmac() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  // One HMAC-SHA256 with a fresh key, on the context made once.
  void operator()(const uint8_t* key, size_t key_len, const uint8_t* data, size_t len, uint8_t* out) {
    size_t out_len = 0;
    if (EVP_MAC_init(ctx, key, key_len, nullptr) != 1 || EVP_MAC_update(ctx, data, len) != 1 ||
        EVP_MAC_final(ctx, out, &out_len, kHashLen) != 1)
      fail("HMAC");
  }
  // RFC 5246 §5: PRF(secret, label, seed) = P_SHA256(secret, label + seed), where
  // A(0) = label + seed, A(i) = HMAC(secret, A(i-1)) and the output is
  // HMAC(secret, A(1) + label + seed) + HMAC(secret, A(2) + label + seed) + ...
  // The key is set by the first HMAC only: EVP_MAC_init with a null key starts the next
  // one from the same padded key, so each later HMAC costs no key set-up.
  void prf(const uint8_t* secret, size_t secret_len, std::string_view label, const uint8_t* seed, size_t seed_len,
           uint8_t* out, size_t len) {
    uint8_t ls[64 + 64];
    if (label.size() + seed_len > sizeof ls) fail("PRF seed");
    std::memcpy(ls, label.data(), label.size());
    std::memcpy(ls + label.size(), seed, seed_len);
    const size_t ls_len = label.size() + seed_len;
    bool keyed = false;
    auto one = [&](const uint8_t* a, size_t a_len, const uint8_t* b, size_t b_len, uint8_t* o) {
      size_t o_len = 0;
      if (EVP_MAC_init(ctx, keyed ? nullptr : secret, keyed ? 0 : secret_len, nullptr) != 1 ||
          EVP_MAC_update(ctx, a, a_len) != 1 || (b_len && EVP_MAC_update(ctx, b, b_len) != 1) ||
          EVP_MAC_final(ctx, o, &o_len, kHashLen) != 1)
        fail("PRF");
      keyed = true;
    };
    uint8_t a[kHashLen], block[kHashLen];
    one(ls, ls_len, nullptr, 0, a);  // A(1)
    for (size_t done = 0;;) {
      one(a, kHashLen, ls, ls_len, block);
      const size_t take = len - done < kHashLen ? len - done : kHashLen;
      std::memcpy(out + done, block, take);
      done += take;
      if (done == len) break;
      one(a, kHashLen, nullptr, 0, a);  // A(i+1)
    }
  }
};

// RFC 8446 §7.1 HKDF-Expand-Label for outputs of at most one hash block (one HMAC).
void expand_label(Hmac& hmac, const uint8_t* secret, std::string_view label, const uint8_t* context,
                  size_t context_len, size_t length, uint8_t* out) {
  uint8_t info[2 + 1 + 255 + 1 + 255 + 1];
  size_t n = 0;
  info[n++] = static_cast<uint8_t>(length >> 8);
  info[n++] = static_cast<uint8_t>(length);
  info[n++] = static_cast<uint8_t>(6 + label.size());
  std::memcpy(info + n, "tls13 ", 6);
  n += 6;
  std::memcpy(info + n, label.data(), label.size());
  n += label.size();
  info[n++] = static_cast<uint8_t>(context_len);
  if (context_len) std::memcpy(info + n, context, context_len);
  n += context_len;
  info[n++] = 1;  // RFC 5869 §2.3: T(1) = HMAC(PRK, info | 0x01)
  uint8_t full[kHashLen];
  hmac(secret, kHashLen, info, n, full);
  std::memcpy(out, full, length);
}

struct Transcript {
  EVP_MD_CTX* running = EVP_MD_CTX_new();
  EVP_MD_CTX* snap = EVP_MD_CTX_new();
  const EVP_MD* md;
  explicit Transcript(const EVP_MD* m) : md(m) {
    if (!running || !snap) fail("EVP_MD_CTX_new");
  }
  ~Transcript() {
    EVP_MD_CTX_free(running);
    EVP_MD_CTX_free(snap);
  }
  void start() {
    if (EVP_DigestInit_ex(running, md, nullptr) != 1) fail("digest");
  }
  void add(const uint8_t* p, size_t n) {
    if (EVP_DigestUpdate(running, p, n) != 1) fail("digest");
  }
  void hash(uint8_t* out) {
    if (EVP_MD_CTX_copy_ex(snap, running) != 1 || EVP_DigestFinal_ex(snap, out, nullptr) != 1) fail("digest");
  }
};

// One direction's record protection: a context created once, re-keyed per secret.
struct Direction {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  uint8_t iv[kIvLen] = {};
  uint64_t seq = 0;
  bool encrypt;
  Direction(const EVP_CIPHER* cipher, bool enc) : encrypt(enc) {
    if (!ctx || EVP_CipherInit_ex(ctx, cipher, nullptr, nullptr, nullptr, enc ? 1 : 0) != 1) fail("cipher");
  }
  ~Direction() { EVP_CIPHER_CTX_free(ctx); }
  void install(const uint8_t* key, const uint8_t* new_iv) {
    if (EVP_CipherInit_ex(ctx, nullptr, nullptr, key, nullptr, encrypt ? 1 : 0) != 1) fail("cipher key");
    std::memcpy(iv, new_iv, kIvLen);
    seq = 0;
  }
  void nonce(uint8_t* out) {
    std::memcpy(out, iv, kIvLen);
    for (int i = 0; i < 8; ++i) out[kIvLen - 1 - i] ^= static_cast<uint8_t>(seq >> (8 * i));
    ++seq;
  }
  // RFC 8446 §5.2: inner plaintext in, header + ciphertext + tag out.
  size_t seal(const uint8_t* inner, size_t len, uint8_t* out) {
    const size_t ct_len = len + kTagLen;
    out[0] = 23;
    out[1] = 3;
    out[2] = 3;
    out[3] = static_cast<uint8_t>(ct_len >> 8);
    out[4] = static_cast<uint8_t>(ct_len);
    uint8_t n[kIvLen];
    nonce(n);
    int l = 0, l2 = 0;
    if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, n) != 1 || EVP_EncryptUpdate(ctx, nullptr, &l, out, 5) != 1 ||
        EVP_EncryptUpdate(ctx, out + 5, &l, inner, static_cast<int>(len)) != 1 ||
        EVP_EncryptFinal_ex(ctx, out + 5 + l, &l2) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagLen, out + 5 + len) != 1)
      fail("seal");
    return 5 + ct_len;
  }
  // Opens a record made by seal(); returns the inner plaintext length.
  size_t open(uint8_t* record, size_t len, uint8_t* out) {
    const size_t ct_len = len - 5 - kTagLen;
    uint8_t n[kIvLen];
    nonce(n);
    int l = 0, l2 = 0;
    if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagLen, record + 5 + ct_len) != 1 ||
        EVP_DecryptUpdate(ctx, nullptr, &l, record, 5) != 1 ||
        EVP_DecryptUpdate(ctx, out, &l, record + 5, static_cast<int>(ct_len)) != 1 ||
        EVP_DecryptFinal_ex(ctx, out + l, &l2) != 1)
      fail("open: the record does not authenticate");
    return ct_len;
  }
};

// One direction of TLS 1.2 record protection (RFC 5246 §6.2.3.3): a context created once,
// re-keyed from the key block. GCM (RFC 5288 §3): nonce = 4-byte salt + 8-byte explicit
// part carried in the record; ChaCha20-Poly1305 (RFC 7905 §2): nonce = 12-byte IV xor the
// sequence number, nothing carried.
struct Direction12 {
  static constexpr size_t kExplicit = 8;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  uint8_t iv[kIvLen] = {};  // GCM: only the first 4 bytes (the salt)
  uint64_t seq = 0;
  bool encrypt;
  bool gcm;
  Direction12(const EVP_CIPHER* cipher, bool enc) : encrypt(enc) {
    if (!ctx || EVP_CipherInit_ex(ctx, cipher, nullptr, nullptr, nullptr, enc ? 1 : 0) != 1) fail("cipher");
    gcm = EVP_CIPHER_get_mode(cipher) == EVP_CIPH_GCM_MODE;
  }
  ~Direction12() { EVP_CIPHER_CTX_free(ctx); }
  [[nodiscard]] size_t iv_len() const { return gcm ? 4 : kIvLen; }
  [[nodiscard]] size_t overhead() const { return 5 + (gcm ? kExplicit : 0) + kTagLen; }
  void install(const uint8_t* key, const uint8_t* new_iv) {
    if (EVP_CipherInit_ex(ctx, nullptr, nullptr, key, nullptr, encrypt ? 1 : 0) != 1) fail("cipher key");
    std::memcpy(iv, new_iv, iv_len());
    seq = 0;
  }
  static void put64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  }
  // The 13 bytes of additional data: seq_num, type, version, plaintext length.
  void aad(uint8_t type, size_t len, uint8_t* out) const {
    put64(out, seq);
    out[8] = type;
    out[9] = 3;
    out[10] = 3;
    out[11] = static_cast<uint8_t>(len >> 8);
    out[12] = static_cast<uint8_t>(len);
  }
  // GCM: the nonce from the salt and the explicit part; ChaCha20: from the IV and seq.
  void nonce(const uint8_t* explicit_part, uint8_t* out) const {
    if (gcm) {
      std::memcpy(out, iv, 4);
      std::memcpy(out + 4, explicit_part, kExplicit);
      return;
    }
    std::memcpy(out, iv, kIvLen);
    for (int i = 0; i < 8; ++i) out[kIvLen - 1 - i] ^= static_cast<uint8_t>(seq >> (8 * i));
  }
  // Plaintext in, header + [explicit nonce] + ciphertext + tag out.
  size_t seal(uint8_t type, const uint8_t* plain, size_t len, uint8_t* out) {
    const size_t ex = gcm ? kExplicit : 0, body = ex + len + kTagLen;
    out[0] = type;
    out[1] = 3;
    out[2] = 3;
    out[3] = static_cast<uint8_t>(body >> 8);
    out[4] = static_cast<uint8_t>(body);
    if (gcm) put64(out + 5, seq);  // the explicit nonce: the sequence number
    uint8_t n[kIvLen], ad[13];
    nonce(out + 5, n);
    aad(type, len, ad);
    int l = 0, l2 = 0;
    uint8_t* ct = out + 5 + ex;
    if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, n) != 1 || EVP_EncryptUpdate(ctx, nullptr, &l, ad, 13) != 1 ||
        EVP_EncryptUpdate(ctx, ct, &l, plain, static_cast<int>(len)) != 1 ||
        EVP_EncryptFinal_ex(ctx, ct + l, &l2) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagLen, ct + len) != 1)
      fail("seal");
    ++seq;
    return 5 + body;
  }
  // Opens a record made by seal(); returns the plaintext length.
  size_t open(const uint8_t* record, size_t len, uint8_t* out) {
    const size_t ex = gcm ? kExplicit : 0, plain_len = len - 5 - ex - kTagLen;
    uint8_t n[kIvLen], ad[13];
    nonce(record + 5, n);
    aad(record[0], plain_len, ad);
    const uint8_t* ct = record + 5 + ex;
    int l = 0, l2 = 0;
    if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagLen, const_cast<uint8_t*>(ct + plain_len)) != 1 ||
        EVP_DecryptUpdate(ctx, nullptr, &l, ad, 13) != 1 ||
        EVP_DecryptUpdate(ctx, out, &l, ct, static_cast<int>(plain_len)) != 1 ||
        EVP_DecryptFinal_ex(ctx, out + l, &l2) != 1)
      fail("open: the TLS 1.2 record does not authenticate");
    ++seq;
    return plain_len;
  }
};

struct Schedule {
  uint8_t hs[kHashLen], c_hs[kHashLen], s_hs[kHashLen], master[kHashLen], c_ap[kHashLen], s_ap[kHashLen];
};

const EVP_CIPHER* fetch_cipher(tlspp::CipherSuite s) {
  using tlspp::CipherSuite;
  const char* name = nullptr;
  switch (s) {
    case CipherSuite::TLS_AES_128_GCM_SHA256:
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
    case CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: name = "AES-128-GCM"; break;
    case CipherSuite::TLS_AES_256_GCM_SHA384:
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
    case CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: name = "AES-256-GCM"; break;
    default: name = "ChaCha20-Poly1305"; break;
  }
  EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (!c) fail("EVP_CIPHER_fetch");
  return c;
}

// The DER of one element starting at `p`: its header and contents (X.690 §8.1).
size_t der_element_length(const Bytes& der, size_t p) {
  if (p + 2 > der.size()) fail("certificate DER");
  size_t len = der[p + 1], header = 2;
  if (len & 0x80) {
    const size_t count = len & 0x7f;
    if (count == 0 || count > 3 || p + 2 + count > der.size()) fail("certificate DER");
    len = 0;
    for (size_t i = 0; i < count; ++i) len = (len << 8) | der[p + 2 + i];
    header += count;
  }
  return header + len;
}

// RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
// signatureValue }; the signature covers tbsCertificate exactly as it was sent.
Bytes tbs_of(const Bytes& cert) {
  if (cert.size() < 2 || der_element_length(cert, 0) != cert.size()) fail("certificate DER");
  const size_t inner_start = (cert[1] & 0x80) ? 2 + (cert[1] & 0x7f) : 2;
  const size_t tbs_len = der_element_length(cert, inner_start);
  return Bytes(cert.begin() + static_cast<ptrdiff_t>(inner_start), cert.begin() + static_cast<ptrdiff_t>(inner_start + tbs_len));
}

struct Signer {
  EVP_PKEY* leaf_priv = nullptr;
  EVP_PKEY* root_pub = nullptr;
  Bytes tbs, cert_sig;
  size_t leaf_len = 0;
  Bytes ec_point;         // the leaf's public key as it sits in the certificate: the EC point,
  Bytes rsa_n, rsa_e;     // or the RSA modulus and exponent
  EVP_PKEY* ec_template = nullptr;  // a parameters-only P-256 key, made once
  bool rsa = false;
  bool cert_sig_pss = false;
};

}  // namespace

struct Floor::Impl {
  const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const EVP_CIPHER* aes128gcm = fetch_cipher(tlspp::CipherSuite::TLS_AES_128_GCM_SHA256);
  Hmac hmac;
  Transcript client_th{sha256}, server_th{sha256};
  EVP_PKEY_CTX* keygen = EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr);
  EVP_MD_CTX* sign_ctx = EVP_MD_CTX_new();
  EVP_MD_CTX* verify_ctx = EVP_MD_CTX_new();
  Direction c_write{aes128gcm, true}, c_read{aes128gcm, false}, c_ap_write{aes128gcm, true}, c_ap_read{aes128gcm, false};
  Direction s_write{aes128gcm, true}, s_read{aes128gcm, false}, s_ap_write{aes128gcm, true}, s_ap_read{aes128gcm, false};
  Direction12 c12_write{aes128gcm, true}, c12_read{aes128gcm, false}, s12_write{aes128gcm, true}, s12_read{aes128gcm, false};
  uint8_t client_random[32], server_random[32];
  uint8_t saved_master[kMasterLen];  // the master secret of the session a TLS 1.2 client resumes
  uint8_t empty_hash[kHashLen];
  uint8_t derived_early[kHashLen];  // the no-PSK Early Secret's "derived" secret: a constant
  uint8_t zeros[kHashLen] = {};
  uint8_t psk[kHashLen];
  Signer signers[2];

  Impl(const Identity& ecdsa, const Identity& rsa) {
    if (!sha256 || !keygen || EVP_PKEY_keygen_init(keygen) != 1 || !sign_ctx || !verify_ctx) fail("setup");
    unsigned len = 0;
    if (EVP_Digest("", 0, empty_hash, &len, sha256, nullptr) != 1) fail("digest");
    uint8_t early[kHashLen];
    hmac(zeros, kHashLen, zeros, kHashLen, early);
    expand_label(hmac, early, "derived", empty_hash, kHashLen, kHashLen, derived_early);
    for (size_t i = 0; i < kHashLen; ++i) psk[i] = static_cast<uint8_t>(0xa5 ^ i);
    for (size_t i = 0; i < 32; ++i) {
      client_random[i] = static_cast<uint8_t>(0x10 + i);
      server_random[i] = static_cast<uint8_t>(0x90 + i);
    }
    for (size_t i = 0; i < kMasterLen; ++i) saved_master[i] = static_cast<uint8_t>(0x3c ^ (i * 7));
    check_prf();
    load(signers[0], ecdsa);
    load(signers[1], rsa);
  }
  ~Impl() {
    for (auto& s : signers) {
      EVP_PKEY_free(s.ec_template);
      EVP_PKEY_free(s.leaf_priv);
      EVP_PKEY_free(s.root_pub);
    }
    EVP_MD_CTX_free(sign_ctx);
    EVP_MD_CTX_free(verify_ctx);
    EVP_PKEY_CTX_free(keygen);
    EVP_CIPHER_free(const_cast<EVP_CIPHER*>(aes128gcm));
    EVP_MD_free(const_cast<EVP_MD*>(sha256));
  }

  static void load(Signer& s, const Identity& id) {
    s.rsa = id.kind == KeyKind::rsa_2048;
    s.leaf_len = id.leaf_der.size();
    const unsigned char* p = id.leaf_key_pkcs8.data();
    s.leaf_priv = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(id.leaf_key_pkcs8.size()));
    p = id.root_der.data();
    X509* root = d2i_X509(nullptr, &p, static_cast<long>(id.root_der.size()));
    p = id.leaf_der.data();
    X509* leaf = d2i_X509(nullptr, &p, static_cast<long>(id.leaf_der.size()));
    if (!s.leaf_priv || !root || !leaf) fail("certificates");
    s.root_pub = X509_get_pubkey(root);
    EVP_PKEY* leaf_pub = X509_get0_pubkey(leaf);
    if (s.rsa) {
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      if (EVP_PKEY_get_bn_param(leaf_pub, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
          EVP_PKEY_get_bn_param(leaf_pub, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
        fail("RSA key parts");
      s.rsa_n.resize(static_cast<size_t>(BN_num_bytes(n)));
      s.rsa_e.resize(static_cast<size_t>(BN_num_bytes(e)));
      BN_bn2bin(n, s.rsa_n.data());
      BN_bn2bin(e, s.rsa_e.data());
      BN_free(n);
      BN_free(e);
    } else {
      unsigned char* point = nullptr;
      const size_t len = EVP_PKEY_get1_encoded_public_key(leaf_pub, &point);
      if (len == 0) fail("EC point");
      s.ec_point.assign(point, point + len);
      OPENSSL_free(point);
      char group[] = "P-256";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
                                   OSSL_PARAM_construct_end()};
      EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
      if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
          EVP_PKEY_fromdata(ctx, &s.ec_template, EVP_PKEY_KEY_PARAMETERS, const_cast<OSSL_PARAM*>(params)) != 1)
        fail("P-256 template");
      EVP_PKEY_CTX_free(ctx);
    }
    s.tbs = tbs_of(id.leaf_der);
    const ASN1_BIT_STRING* sig = nullptr;
    X509_get0_signature(&sig, nullptr, leaf);
    s.cert_sig.assign(ASN1_STRING_get0_data(sig), ASN1_STRING_get0_data(sig) + ASN1_STRING_length(sig));
    const int nid = X509_get_signature_nid(leaf);
    if (nid != NID_ecdsa_with_SHA256 && nid != NID_sha256WithRSAEncryption && nid != NID_rsassaPss)
      fail("unexpected certificate signature algorithm");
    s.cert_sig_pss = nid == NID_rsassaPss;
    X509_free(root);
    X509_free(leaf);
  }

  // RFC 8446 §4.4.3: the content a CertificateVerify signs.
  static size_t cv_content(const uint8_t* th, uint8_t* out) {
    static const char kContext[] = "TLS 1.3, server CertificateVerify";
    std::memset(out, 0x20, 64);
    std::memcpy(out + 64, kContext, sizeof kContext);  // includes the 0 separator
    std::memcpy(out + 64 + sizeof kContext, th, kHashLen);
    return 64 + sizeof kContext + kHashLen;
  }

  void pss(EVP_PKEY_CTX* pctx) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
      fail("PSS parameters");
  }

  // The digest contexts are made once and reset before each use: OpenSSL 3.0 keeps the
  // EVP_PKEY_CTX of a used context, so without the reset a second EVP_DigestVerifyInit_ex with
  // another key verifies with the first key.
  size_t sign(const Signer& s, const uint8_t* msg, size_t len, uint8_t* out, size_t cap) {
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_MD_CTX_reset(sign_ctx);
    if (EVP_DigestSignInit_ex(sign_ctx, &pctx, "SHA256", nullptr, nullptr, s.leaf_priv, nullptr) != 1) fail("sign");
    if (s.rsa) pss(pctx);  // rsa_pss_rsae_sha256
    size_t n = cap;
    if (EVP_DigestSign(sign_ctx, out, &n, msg, len) != 1) fail("sign");
    return n;
  }

  void verify(EVP_PKEY* key, bool use_pss, const uint8_t* msg, size_t len, const uint8_t* sig, size_t sig_len,
              const char* what) {
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_MD_CTX_reset(verify_ctx);
    if (EVP_DigestVerifyInit_ex(verify_ctx, &pctx, "SHA256", nullptr, nullptr, key, nullptr) != 1) fail("verify");
    if (use_pss) pss(pctx);
    if (EVP_DigestVerify(verify_ctx, sig, sig_len, msg, len) != 1) fail(what);
  }

  // Handshake Secret onwards, given the secret Handshake Secret is extracted from ("derived"
  // of the Early Secret) and the transcript hashes after ServerHello and after the server's
  // Finished.
  void handshake_secrets(const uint8_t* derived, const uint8_t* shared, const uint8_t* th_sh, Schedule& k) {
    hmac(derived, kHashLen, shared, kHashLen, k.hs);
    expand_label(hmac, k.hs, "c hs traffic", th_sh, kHashLen, kHashLen, k.c_hs);
    expand_label(hmac, k.hs, "s hs traffic", th_sh, kHashLen, kHashLen, k.s_hs);
  }
  void application_secrets(const uint8_t* th_fin, Schedule& k) {
    uint8_t derived[kHashLen];
    expand_label(hmac, k.hs, "derived", empty_hash, kHashLen, kHashLen, derived);
    hmac(derived, kHashLen, zeros, kHashLen, k.master);
    expand_label(hmac, k.master, "c ap traffic", th_fin, kHashLen, kHashLen, k.c_ap);
    expand_label(hmac, k.master, "s ap traffic", th_fin, kHashLen, kHashLen, k.s_ap);
  }
  // RFC 8446 §7.3: the key and IV of one traffic secret, installed in `d`.
  void install(Direction& d, const uint8_t* secret) {
    uint8_t key[16], iv[kIvLen];
    expand_label(hmac, secret, "key", nullptr, 0, sizeof key, key);
    expand_label(hmac, secret, "iv", nullptr, 0, kIvLen, iv);
    d.install(key, iv);
  }
  void finished_mac(const uint8_t* base_key, const uint8_t* th, uint8_t* out) {
    uint8_t fk[kHashLen];
    expand_label(hmac, base_key, "finished", nullptr, 0, kHashLen, fk);
    hmac(fk, kHashLen, th, kHashLen, out);
  }
  // The early secret from the PSK, and the binder MAC over the truncated ClientHello hash.
  void binder(const uint8_t* th_partial, uint8_t* early, uint8_t* mac) {
    hmac(zeros, kHashLen, psk, kHashLen, early);
    uint8_t binder_key[kHashLen];
    expand_label(hmac, early, "res binder", empty_hash, kHashLen, kHashLen, binder_key);
    finished_mac(binder_key, th_partial, mac);
  }

  // The leaf's public key from its parts, the cheapest way libcrypto offers: for P-256 a
  // copy of a ready parameters-only key with the point set (the point is checked to be on
  // the curve); for RSA the modulus and exponent imported through the provider. (d2i_PUBKEY
  // would take ~25 times longer for P-256 in OpenSSL 3.0.)
  static EVP_PKEY* import_leaf_key(const Signer& s) {
    if (!s.rsa) {
      EVP_PKEY* k = EVP_PKEY_dup(s.ec_template);
      if (!k || EVP_PKEY_set1_encoded_public_key(k, s.ec_point.data(), s.ec_point.size()) != 1) fail("leaf EC key");
      return k;
    }
    BIGNUM* n = BN_bin2bn(s.rsa_n.data(), static_cast<int>(s.rsa_n.size()), nullptr);
    BIGNUM* e = BN_bin2bn(s.rsa_e.data(), static_cast<int>(s.rsa_e.size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
      fail("RSA parameters");
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY* k = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
      fail("leaf RSA key");
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return k;
  }

  EVP_PKEY* keypair(uint8_t* pub) {
    EVP_PKEY* k = nullptr;
    size_t len = 32;
    if (EVP_PKEY_keygen(keygen, &k) != 1 || EVP_PKEY_get_raw_public_key(k, pub, &len) != 1) fail("X25519 keygen");
    return k;
  }
  static void shared_secret(EVP_PKEY* mine, const uint8_t* peer_pub, uint8_t* out) {
    EVP_PKEY* peer = EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer_pub, 32);
    EVP_PKEY_CTX* d = EVP_PKEY_CTX_new_from_pkey(nullptr, mine, nullptr);
    size_t len = 32;
    if (!peer || !d || EVP_PKEY_derive_init(d) != 1 || EVP_PKEY_derive_set_peer(d, peer) != 1 ||
        EVP_PKEY_derive(d, out, &len) != 1)
      fail("X25519 derive");
    EVP_PKEY_CTX_free(d);
    EVP_PKEY_free(peer);
  }

  // Hmac::prf against libcrypto's own TLS 1.2 PRF (EVP_KDF "TLS1-PRF"), once: the floor's
  // cheaper PRF must compute the same bytes.
  void check_prf() {
    uint8_t mine[kKeyBlock + 20], theirs[kKeyBlock + 20], seed[64];
    std::memcpy(seed, server_random, 32);
    std::memcpy(seed + 32, client_random, 32);
    hmac.prf(saved_master, kMasterLen, "key expansion", seed, sizeof seed, mine, sizeof mine);
    uint8_t label_seed[13 + 64];
    std::memcpy(label_seed, "key expansion", 13);
    std::memcpy(label_seed + 13, seed, 64);
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr);
    EVP_KDF_CTX* kctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, saved_master, kMasterLen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, label_seed, sizeof label_seed),
        OSSL_PARAM_construct_end()};
    if (!kctx || EVP_KDF_derive(kctx, theirs, sizeof theirs, params) != 1) fail("TLS1-PRF");
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    if (std::memcmp(mine, theirs, sizeof mine) != 0) fail("the floor's PRF disagrees with TLS1-PRF");
  }

  // RFC 5246 §6.3: the key block from the master secret; installs the two directions of
  // one side (client: write with the client key, read with the server key).
  void key_block(const uint8_t* master, Direction12& write, Direction12& read, bool client, uint8_t* kb) {
    uint8_t seed[64];
    std::memcpy(seed, server_random, 32);
    std::memcpy(seed + 32, client_random, 32);
    hmac.prf(master, kMasterLen, "key expansion", seed, sizeof seed, kb, kKeyBlock);
    const uint8_t* c_key = kb;
    const uint8_t* s_key = kb + 16;
    const uint8_t* c_salt = kb + 32;
    const uint8_t* s_salt = kb + 36;
    write.install(client ? c_key : s_key, client ? c_salt : s_salt);
    read.install(client ? s_key : c_key, client ? s_salt : c_salt);
  }
  // RFC 5246 §7.4.9: a Finished message (header and verify_data).
  void finished12(const uint8_t* master, bool client, const uint8_t* th, uint8_t* msg) {
    msg[0] = 20;
    msg[1] = 0;
    msg[2] = 0;
    msg[3] = kVerifyData;
    hmac.prf(master, kMasterLen, client ? "client finished" : "server finished", th, kHashLen, msg + 4, kVerifyData);
  }
  // RFC 8422 §5.4: what the ServerKeyExchange signature covers: both randoms and the
  // ServerECDHParams (curve type, named curve, public value).
  size_t ske_content(const uint8_t* params, uint8_t* out) const {
    std::memcpy(out, client_random, 32);
    std::memcpy(out + 32, server_random, 32);
    std::memcpy(out + 64, params, 4 + 32);
    return 64 + 4 + 32;
  }

  HandshakeResult run12(bool resumed, int64_t budget_ns, int min_count) {
    const Signer& sg = signers[0];  // ECDSA P-256
    std::vector<uint8_t> msg(4096, 0x42);  // message stand-ins: the sizes matter, the bytes do not
    const size_t client_hello = kClientHello + (resumed ? kTicket : 0);
    const size_t cert_msg = 4 + 3 + 3 + sg.leaf_len;  // RFC 5246 §7.4.2: one certificate
    uint8_t ske[4 + 4 + 32 + 4 + 256];
    uint8_t cke[kClientKeyExchange];
    uint8_t c_rec[64], s_rec[64], opened[64];

    int64_t client_ns = 0, server_ns = 0;
    int n = 0;
    const int64_t start = now_ns();
    while (n < min_count || now_ns() - start < budget_ns) {
      uint8_t c_pub[32], c_shared[32], s_shared[32], th[kHashLen], fin[kFinished12];
      uint8_t c_master[kMasterLen], s_master[kMasterLen], c_kb[kKeyBlock], s_kb[kKeyBlock];
      const uint8_t* c_ms = saved_master;
      const uint8_t* s_ms = saved_master;
      EVP_PKEY* s_key = nullptr;
      size_t c_rec_len = 0, s_rec_len = 0, ske_len = 0;

      // --- client: ClientHello ---
      const int64_t t0 = cpu_ns();
      client_th.start();
      client_th.add(msg.data(), client_hello);
      const int64_t t1 = cpu_ns();

      // --- server: ServerHello, then Certificate, ServerKeyExchange, ServerHelloDone (full)
      // or ChangeCipherSpec, Finished (resumed) ---
      server_th.start();
      server_th.add(msg.data(), client_hello);
      server_th.add(msg.data(), kServerHello);
      if (!resumed) {
        server_th.add(msg.data(), cert_msg);
        ske[0] = 12;
        ske[4] = 3;  // named_curve
        ske[5] = 0;
        ske[6] = 0x1d;  // x25519
        ske[7] = 32;
        s_key = keypair(ske + 8);
        ske[40] = 0x04;  // ecdsa_secp256r1_sha256
        ske[41] = 0x03;
        uint8_t content[100];
        const size_t sig_len = sign(sg, content, ske_content(ske + 4, content), ske + 44, 256);
        ske[42] = static_cast<uint8_t>(sig_len >> 8);
        ske[43] = static_cast<uint8_t>(sig_len);
        ske_len = 44 + sig_len;
        ske[1] = 0;
        ske[2] = static_cast<uint8_t>((ske_len - 4) >> 8);
        ske[3] = static_cast<uint8_t>(ske_len - 4);
        server_th.add(ske, ske_len);
        server_th.add(msg.data(), kServerHelloDone);
      } else {
        server_th.hash(th);
        key_block(s_ms, s12_write, s12_read, false, s_kb);
        finished12(s_ms, false, th, fin);
        server_th.add(fin, kFinished12);
        s_rec_len = s12_write.seal(22, fin, kFinished12, s_rec);
      }
      const int64_t t2 = cpu_ns();

      // --- client: the server's flight; ClientKeyExchange, ChangeCipherSpec, Finished ---
      client_th.add(msg.data(), kServerHello);
      if (!resumed) {
        client_th.add(msg.data(), cert_msg);
        EVP_PKEY* leaf = import_leaf_key(sg);
        verify(sg.root_pub, sg.cert_sig_pss, sg.tbs.data(), sg.tbs.size(), sg.cert_sig.data(), sg.cert_sig.size(),
               "the leaf certificate's signature does not verify");
        uint8_t content[100];
        const size_t sig_len = size_t{ske[42]} << 8 | ske[43];
        verify(leaf, false, content, ske_content(ske + 4, content), ske + 44, sig_len,
               "the ServerKeyExchange signature does not verify");
        EVP_PKEY_free(leaf);
        client_th.add(ske, 44 + sig_len);
        client_th.add(msg.data(), kServerHelloDone);
        EVP_PKEY* c_key = keypair(c_pub);
        shared_secret(c_key, ske + 8, c_shared);
        EVP_PKEY_free(c_key);
        cke[0] = 16;
        cke[1] = 0;
        cke[2] = 0;
        cke[3] = 33;
        cke[4] = 32;
        std::memcpy(cke + 5, c_pub, 32);
        client_th.add(cke, kClientKeyExchange);
        client_th.hash(th);  // the session hash; also what the client's Finished covers
        hmac.prf(c_shared, 32, "extended master secret", th, kHashLen, c_master, kMasterLen);
        c_ms = c_master;
        key_block(c_ms, c12_write, c12_read, true, c_kb);
        finished12(c_ms, true, th, fin);
        client_th.add(fin, kFinished12);
        c_rec_len = c12_write.seal(22, fin, kFinished12, c_rec);
      } else {
        key_block(c_ms, c12_write, c12_read, true, c_kb);
        client_th.hash(th);
        if (c12_read.open(s_rec, s_rec_len, opened) != kFinished12) fail("server Finished length");
        finished12(c_ms, false, th, fin);
        if (CRYPTO_memcmp(fin, opened, kFinished12) != 0) fail("server Finished mismatch");
        client_th.add(opened, kFinished12);
        client_th.hash(th);
        finished12(c_ms, true, th, fin);
        c_rec_len = c12_write.seal(22, fin, kFinished12, c_rec);
      }
      const int64_t t3 = cpu_ns();

      // --- server: ClientKeyExchange and the client's Finished; its own Finished (full) ---
      if (!resumed) {
        server_th.add(cke, kClientKeyExchange);
        shared_secret(s_key, cke + 5, s_shared);
        EVP_PKEY_free(s_key);
        server_th.hash(th);
        hmac.prf(s_shared, 32, "extended master secret", th, kHashLen, s_master, kMasterLen);
        s_ms = s_master;
        key_block(s_ms, s12_write, s12_read, false, s_kb);
        if (s12_read.open(c_rec, c_rec_len, opened) != kFinished12) fail("client Finished length");
        finished12(s_ms, true, th, fin);
        if (CRYPTO_memcmp(fin, opened, kFinished12) != 0) fail("client Finished mismatch");
        server_th.add(opened, kFinished12);
        server_th.hash(th);
        finished12(s_ms, false, th, fin);
        s_rec_len = s12_write.seal(22, fin, kFinished12, s_rec);
      } else {
        if (s12_read.open(c_rec, c_rec_len, opened) != kFinished12) fail("client Finished length");
        server_th.hash(th);
        finished12(s_ms, true, th, fin);
        if (CRYPTO_memcmp(fin, opened, kFinished12) != 0) fail("client Finished mismatch");
      }
      const int64_t t4 = cpu_ns();

      // --- client: the server's Finished (full) ---
      if (!resumed) {
        if (c12_read.open(s_rec, s_rec_len, opened) != kFinished12) fail("server Finished length");
        client_th.hash(th);
        finished12(c_ms, false, th, fin);
        if (CRYPTO_memcmp(fin, opened, kFinished12) != 0) fail("server Finished mismatch");
      }
      const int64_t t5 = cpu_ns();

      if (std::memcmp(c_kb, s_kb, kKeyBlock) != 0) fail("the two sides disagree on the TLS 1.2 key block");
      client_ns += interval(t0, t1) + interval(t2, t3) + interval(t4, t5);
      server_ns += interval(t1, t2) + interval(t3, t4);
      ++n;
    }
    return handshake_result(client_ns, server_ns, n);
  }

  HandshakeResult run(KeyKind kind, bool resumed, int64_t budget_ns, int min_count) {
    const Signer& sg = signers[kind == KeyKind::ecdsa_p256 ? 0 : 1];
    // Message stand-ins for the transcript: the sizes matter, the bytes do not.
    std::vector<uint8_t> msg(kClientHello + 4096, 0x42);
    // RFC 8446 §4.4.2: header, empty context, list length, one entry (length, DER, no extensions).
    const size_t cert_msg = resumed ? 0 : 4 + 1 + 3 + 3 + sg.leaf_len + 2;
    std::vector<uint8_t> flight(8192), record(8192 + 64), opened(8192 + 64);
    uint8_t fin_record[64], fin_opened[64];

    int64_t client_ns = 0, server_ns = 0;
    int n = 0;
    const int64_t start = now_ns();
    while (n < min_count || now_ns() - start < budget_ns) {
      uint8_t c_pub[32], s_pub[32], c_shared[32], s_shared[32];
      uint8_t th[kHashLen], c_binder[kHashLen], s_binder[kHashLen], c_early[kHashLen], s_early[kHashLen];
      uint8_t derived_c[kHashLen], derived_s[kHashLen];
      Schedule ck{}, sk{};

      // --- client: ClientHello (key share; binder when resuming) ---
      const int64_t t0 = cpu_ns();
      EVP_PKEY* c_key = keypair(c_pub);
      client_th.start();
      client_th.add(msg.data(), kClientHello);
      if (resumed) {
        client_th.hash(th);
        binder(th, c_early, c_binder);
        client_th.add(msg.data(), kBinders);
      }
      const int64_t t1 = cpu_ns();

      // --- server: ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished ---
      server_th.start();
      server_th.add(msg.data(), kClientHello);
      if (resumed) {
        server_th.hash(th);
        binder(th, s_early, s_binder);
        if (CRYPTO_memcmp(c_binder, s_binder, kHashLen) != 0) fail("binder mismatch");
        server_th.add(msg.data(), kBinders);
        expand_label(hmac, s_early, "derived", empty_hash, kHashLen, kHashLen, derived_s);
      }
      EVP_PKEY* s_key = keypair(s_pub);
      shared_secret(s_key, c_pub, s_shared);
      EVP_PKEY_free(s_key);
      server_th.add(msg.data(), kServerHello);
      server_th.hash(th);
      handshake_secrets(resumed ? derived_s : derived_early, s_shared, th, sk);
      install(s_write, sk.s_hs);
      install(s_read, sk.c_hs);
      size_t fl = 0;
      std::memset(flight.data(), 0x08, kEncryptedExtensions);
      fl += kEncryptedExtensions;
      server_th.add(flight.data(), kEncryptedExtensions);
      if (!resumed) {
        std::memset(flight.data() + fl, 0x0b, cert_msg);
        server_th.add(flight.data() + fl, cert_msg);
        fl += cert_msg;
        server_th.hash(th);
        uint8_t content[200];
        const size_t clen = cv_content(th, content);
        const size_t sig_len = sign(sg, content, clen, flight.data() + fl + 8, 512);
        flight[fl] = 15;  // CertificateVerify; the signature sits at offset 8
        const size_t cv = 8 + sig_len;
        flight[fl + 1] = static_cast<uint8_t>(sig_len);  // the client reads the length back here
        flight[fl + 2] = static_cast<uint8_t>(sig_len >> 8);
        server_th.add(flight.data() + fl, cv);
        fl += cv;
      }
      server_th.hash(th);
      flight[fl] = 20;
      finished_mac(sk.s_hs, th, flight.data() + fl + 4);
      server_th.add(flight.data() + fl, kFinished);
      fl += kFinished;
      server_th.hash(th);
      application_secrets(th, sk);
      install(s_ap_write, sk.s_ap);
      uint8_t expected_client_fin[kHashLen];
      finished_mac(sk.c_hs, th, expected_client_fin);
      flight[fl] = 22;  // inner content type
      const size_t rec_len = s_write.seal(flight.data(), fl + 1, record.data());
      const int64_t t2 = cpu_ns();

      // --- client: process the flight, send Finished ---
      shared_secret(c_key, s_pub, c_shared);
      EVP_PKEY_free(c_key);
      if (resumed) expand_label(hmac, c_early, "derived", empty_hash, kHashLen, kHashLen, derived_c);
      client_th.add(msg.data(), kServerHello);
      client_th.hash(th);
      handshake_secrets(resumed ? derived_c : derived_early, c_shared, th, ck);
      install(c_read, ck.s_hs);
      install(c_write, ck.c_hs);
      const size_t in_len = c_read.open(record.data(), rec_len, opened.data()) - 1;
      size_t pos = 0;
      client_th.add(opened.data(), kEncryptedExtensions);
      pos += kEncryptedExtensions;
      if (!resumed) {
        client_th.add(opened.data() + pos, cert_msg);
        pos += cert_msg;
        EVP_PKEY* leaf = import_leaf_key(sg);
        verify(sg.root_pub, sg.cert_sig_pss, sg.tbs.data(), sg.tbs.size(), sg.cert_sig.data(), sg.cert_sig.size(),
               "the leaf certificate's signature does not verify");
        client_th.hash(th);
        uint8_t content[200];
        const size_t clen = cv_content(th, content);
        const size_t sig_len = opened[pos + 1] | size_t{opened[pos + 2]} << 8;
        verify(leaf, sg.rsa, content, clen, opened.data() + pos + 8, sig_len,
               "the CertificateVerify signature does not verify");
        EVP_PKEY_free(leaf);
        client_th.add(opened.data() + pos, 8 + sig_len);
        pos += 8 + sig_len;
      }
      client_th.hash(th);
      uint8_t fin[kHashLen];
      finished_mac(ck.s_hs, th, fin);
      if (CRYPTO_memcmp(fin, opened.data() + pos + 4, kHashLen) != 0) fail("server Finished mismatch");
      client_th.add(opened.data() + pos, kFinished);
      pos += kFinished;
      if (pos != in_len) fail("flight length");
      client_th.hash(th);
      application_secrets(th, ck);
      install(c_ap_read, ck.s_ap);
      install(c_ap_write, ck.c_ap);
      uint8_t client_fin[kFinished + 1];
      client_fin[0] = 20;
      finished_mac(ck.c_hs, th, client_fin + 4);
      client_fin[kFinished] = 22;
      const size_t fin_len = c_write.seal(client_fin, sizeof client_fin, fin_record);
      const int64_t t3 = cpu_ns();

      // --- server: the client's Finished ---
      s_read.open(fin_record, fin_len, fin_opened);
      if (CRYPTO_memcmp(fin_opened + 4, expected_client_fin, kHashLen) != 0) fail("client Finished mismatch");
      install(s_ap_read, sk.c_ap);
      const int64_t t4 = cpu_ns();

      if (std::memcmp(ck.c_ap, sk.c_ap, kHashLen) != 0 || std::memcmp(ck.s_ap, sk.s_ap, kHashLen) != 0)
        fail("the two sides disagree on the traffic secrets");
      client_ns += interval(t0, t1) + interval(t2, t3);
      server_ns += interval(t1, t2) + interval(t3, t4);
      ++n;
    }
    return handshake_result(client_ns, server_ns, n);
  }
};

Floor::Floor(const Identity& ecdsa, const Identity& rsa) : impl_(std::make_unique<Impl>(ecdsa, rsa)) {}
Floor::~Floor() = default;

HandshakeResult Floor::handshakes(KeyKind kind, bool resumed, int64_t budget_ns, int min_count) {
  return impl_->run(kind, resumed, budget_ns, min_count);
}

HandshakeResult Floor::tls12_handshakes(bool resumed, int64_t budget_ns, int min_count) {
  return impl_->run12(resumed, budget_ns, min_count);
}

namespace {

// TLS 1.2 bulk: 16 KiB application_data records, RFC 5246 additional data, the suite's
// nonce form (Direction12).
BulkResult bulk12(tlspp::CipherSuite suite, size_t bytes) {
  const EVP_CIPHER* cipher = fetch_cipher(suite);
  const int key_len = EVP_CIPHER_get_key_length(cipher);
  std::vector<uint8_t> key(static_cast<size_t>(key_len), 0x11), iv(kIvLen, 0x22);
  Direction12 sealer(cipher, true), opener(cipher, false);
  sealer.install(key.data(), iv.data());
  opener.install(key.data(), iv.data());
  const size_t record_cap = kRecordPayload + sealer.overhead();
  std::vector<uint8_t> plain(kRecordPayload, 0x5a), records(kBatchRecords * record_cap), out(kRecordPayload);
  int64_t seal_ns = 0, open_ns = 0;
  size_t done = 0;
  while (done < bytes) {
    size_t len = 0;
    const int64_t t0 = cpu_ns();
    for (size_t i = 0; i < kBatchRecords; ++i) len = sealer.seal(23, plain.data(), plain.size(), records.data() + i * record_cap);
    const int64_t t1 = cpu_ns();
    for (size_t i = 0; i < kBatchRecords; ++i) opener.open(records.data() + i * record_cap, len, out.data());
    const int64_t t2 = cpu_ns();
    seal_ns += interval(t0, t1);
    open_ns += interval(t1, t2);
    done += kBatchRecords * kRecordPayload;
  }
  if (out != plain) fail("TLS 1.2 bulk records opened to something else");
  EVP_CIPHER_free(const_cast<EVP_CIPHER*>(cipher));
  return {done / (seal_ns / 1e3), done / (open_ns / 1e3)};
}

}  // namespace

BulkResult Floor::bulk(tlspp::CipherSuite suite, size_t bytes) {
  if (is_tls12(suite)) return bulk12(suite, bytes);
  const EVP_CIPHER* cipher = fetch_cipher(suite);
  const int key_len = EVP_CIPHER_get_key_length(cipher);
  std::vector<uint8_t> key(static_cast<size_t>(key_len), 0x11), iv(kIvLen, 0x22);
  Direction sealer(cipher, true), opener(cipher, false);
  sealer.install(key.data(), iv.data());
  opener.install(key.data(), iv.data());
  const size_t record_cap = kRecordPayload + 1 + 5 + kTagLen;
  std::vector<uint8_t> inner(kRecordPayload + 1, 0x5a), records(kBatchRecords * record_cap), out(kRecordPayload + 1);
  inner[kRecordPayload] = 23;  // application_data
  int64_t seal_ns = 0, open_ns = 0;
  size_t done = 0;
  while (done < bytes) {
    size_t len = 0;
    const int64_t t0 = cpu_ns();
    for (size_t i = 0; i < kBatchRecords; ++i) len = sealer.seal(inner.data(), inner.size(), records.data() + i * record_cap);
    const int64_t t1 = cpu_ns();
    for (size_t i = 0; i < kBatchRecords; ++i) opener.open(records.data() + i * record_cap, len, out.data());
    const int64_t t2 = cpu_ns();
    seal_ns += interval(t0, t1);
    open_ns += interval(t1, t2);
    done += kBatchRecords * kRecordPayload;
  }
  EVP_CIPHER_free(const_cast<EVP_CIPHER*>(cipher));
  return {done / (seal_ns / 1e3), done / (open_ns / 1e3)};
}

}  // namespace bench
