// Pieces both TLS 1.2 state machines use (RFC 5246, RFC 8422, RFC 7627, RFC 5746), and the
// TLS 1.2 connected state.
#pragma once

#include <memory>
#include <optional>

#include "crypto/secret.h"
#include "crypto/sig.h"
#include "handshake/common.h"
#include "handshake/io.h"
#include "keysched/tls12.h"
#include "wire/messages12.h"

namespace tlspp::handshake {

// A TLS 1.2 handshake's result: what the record keys, Finished, exporters and a resumable
// session are made from.
struct Tls12Session {
  CipherSuite suite{};
  Tls12SuiteParams params{};
  crypto::Secret master;  // 48 bytes
  uint8_t client_random[32] = {};
  uint8_t server_random[32] = {};
  bool extended_master_secret = false;
  // While the handshake runs: the HMAC keyed with the master secret, with which the key
  // block and both Finished are cut (one key set-up instead of three), and the key block
  // (RFC 5246 §6.3), cut once for both directions. Dropped (wiped) once the connection is
  // established, and whenever `master` changes.
  // (On the heap: a connection keeps its session, and 700 bytes of inline storage per idle
  // connection would cost more than the allocation.)
  struct HandshakeKeys {
    crypto::Hmac master_mac;
    std::optional<keysched::tls12::KeyBlock> block;
  };
  std::unique_ptr<HandshakeKeys> keys;

  // The HMAC keyed with `master` (made on first use).
  [[nodiscard]] const crypto::Hmac& master_mac();
  // Sets the master secret, dropping what was derived from an earlier one.
  void set_master(crypto::Secret m) {
    master = std::move(m);
    keys.reset();
  }
};

// RFC 5246 §6.3: cuts the key block and installs the keys `side` uses in `direction` (a
// client writes with the client_write keys and reads with the server_write ones).
[[nodiscard]] Status install_tls12_keys(Io& io, Direction direction, Side side, Tls12Session& s);

// RFC 8422 §5.4: the ServerKeyExchange signature covers client_random || server_random ||
// ServerECDHParams.
[[nodiscard]] Bytes server_key_exchange_content(ByteView client_random, ByteView server_random,
                                                const wire::ServerKeyExchangeEcdhe& ske);

// Whether a scheme may sign a TLS 1.2 ServerKeyExchange or CertificateVerify here: ECDSA,
// RSA-PSS, RSA PKCS#1 v1.5, Ed25519 (RFC 8422 §5.1.3), never SHA-1.
[[nodiscard]] bool tls12_handshake_scheme(SignatureScheme s);
// Whether a scheme can authenticate a suite: ECDHE_ECDSA takes ECDSA and Ed25519 keys,
// ECDHE_RSA RSA keys (RFC 8422 §2, RFC 5246 §7.4.2).
[[nodiscard]] bool tls12_ecdsa_scheme(SignatureScheme s);
[[nodiscard]] bool tls12_rsa_scheme(SignatureScheme s);

// Verifies a TLS 1.2 handshake signature. RFC 5246 §7.4.1.4.1: in TLS 1.2 the ECDSA code
// points name the hash only, so the curve is the key's.
[[nodiscard]] Status tls12_verify(const crypto::PublicKey& key, SignatureScheme scheme, ByteView content,
                                  ByteView signature);

// The hash of the handshake messages so far under the suite's PRF hash.
[[nodiscard]] crypto::Digest tls12_transcript_hash(crypto::HashAlg hash, ByteView messages);

[[nodiscard]] std::unique_ptr<Connected> make_tls12_connected(Side side, Tls12Session session);

}  // namespace tlspp::handshake
