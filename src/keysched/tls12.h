// The TLS 1.2 key derivation (RFC 5246 §5, §6.3, §7.4.9, §8.1; RFC 7627; RFC 5705): the
// PRF, the master secret (extended or not), the key block of an AEAD suite, Finished and
// exporters. Pure functions of their inputs; the record layer takes the keys they give.
#pragma once

#include <array>
#include <initializer_list>
#include <string_view>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "tlspp/error.h"

namespace tlspp::keysched::tls12 {

using crypto::HashAlg;
using crypto::Secret;

inline constexpr size_t kMasterSecretLen = 48;
inline constexpr size_t kVerifyDataLen = 12;  // RFC 5246 §7.4.9 (every suite tlspp has)

// RFC 5246 §5: PRF(secret, label, seed) = P_<hash>(secret, label + seed), where seed is the
// concatenation of the `seeds` given; `out` is filled entirely.
void prf(HashAlg alg, ByteView secret, std::string_view label, std::initializer_list<ByteView> seeds,
         MutByteView out);
// The same with the HMAC already keyed with the secret: a handshake keys one with the master
// secret and cuts the key block and both Finished with it.
void prf(const crypto::Hmac& secret_mac, std::string_view label, std::initializer_list<ByteView> seeds,
         MutByteView out);

// RFC 5246 §8.1: PRF(pre_master_secret, "master secret", ClientHello.random +
// ServerHello.random)[0..47].
[[nodiscard]] Secret master_secret(HashAlg alg, ByteView pre_master_secret, ByteView client_random,
                                   ByteView server_random);
// RFC 7627 §4: PRF(pre_master_secret, "extended master secret", session_hash)[0..47], the
// session hash covering the handshake up to and including ClientKeyExchange.
[[nodiscard]] Secret extended_master_secret(HashAlg alg, ByteView pre_master_secret, ByteView session_hash);

// RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion", server_random +
// client_random), cut into the write keys and IVs of an AEAD suite (no MAC keys): IVs of
// 4 bytes for AES-GCM (RFC 5288 §3, the implicit salt) and 12 for ChaCha20-Poly1305
// (RFC 7905 §2).
struct KeyBlock {
  Secret client_write_key, server_write_key, client_write_iv, server_write_iv;
};
[[nodiscard]] KeyBlock key_block(HashAlg alg, crypto::AeadAlg aead, ByteView master_secret, ByteView client_random,
                                 ByteView server_random);
[[nodiscard]] KeyBlock key_block(const crypto::Hmac& master_mac, crypto::AeadAlg aead, ByteView client_random,
                                 ByteView server_random);

// RFC 5246 §7.4.9: PRF(master_secret, "client finished" | "server finished",
// Hash(handshake_messages))[0..11].
[[nodiscard]] std::array<uint8_t, kVerifyDataLen> finished_verify_data(HashAlg alg, ByteView master_secret,
                                                                       bool client, ByteView transcript_hash);
[[nodiscard]] std::array<uint8_t, kVerifyDataLen> finished_verify_data(const crypto::Hmac& master_mac, bool client,
                                                                       ByteView transcript_hash);
// The peer's verify_data against the expected one, in constant time.
[[nodiscard]] bool finished_matches(HashAlg alg, ByteView master_secret, bool client, ByteView transcript_hash,
                                    ByteView verify_data);
[[nodiscard]] bool finished_matches(const crypto::Hmac& master_mac, bool client, ByteView transcript_hash,
                                    ByteView verify_data);

// RFC 5705 §4: PRF(master_secret, label, client_random + server_random [+ context_length +
// context]). `context` null means none (which differs from an empty one). Labels the TLS
// key schedule itself uses are refused (§4: "client finished", "master secret", ...).
[[nodiscard]] Status export_keying_material(HashAlg alg, ByteView master_secret, std::string_view label,
                                            ByteView client_random, ByteView server_random, const ByteView* context,
                                            MutByteView out);

}  // namespace tlspp::keysched::tls12
