// The TLS 1.3 key schedule (RFC 8446 §7.1) as a chain of move-only stages:
//
//   EarlySecret --into_handshake(ecdhe)--> HandshakeSecret --into_master()--> MasterSecret
//
// A stage can only be made from the one before it (constructors are private), and moving
// on consumes and wipes the previous stage, so deriving out of order does not compile and a
// stage's secret cannot outlive its use.
#pragma once

#include <string_view>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "tlspp/error.h"

namespace tlspp::keysched {

using crypto::Digest;
using crypto::HashAlg;
using crypto::Secret;

class HandshakeSecret;
class MasterSecret;

class EarlySecret {
 public:
  // Early Secret = HKDF-Extract(0, PSK), PSK = HashLen zeros when there is none.
  [[nodiscard]] static EarlySecret without_psk(HashAlg alg);
  [[nodiscard]] static EarlySecret with_psk(HashAlg alg, ByteView psk);

  EarlySecret(EarlySecret&&) noexcept = default;
  EarlySecret& operator=(EarlySecret&&) noexcept = default;
  EarlySecret(const EarlySecret&) = delete;
  EarlySecret& operator=(const EarlySecret&) = delete;

  [[nodiscard]] HashAlg alg() const { return alg_; }
  [[nodiscard]] ByteView secret() const { return secret_.view(); }

  // Derive-Secret(., "ext binder" | "res binder", "").
  [[nodiscard]] Secret binder_key(bool external_psk) const;
  // Derive-Secret(., "c e traffic", ClientHello).
  [[nodiscard]] Secret client_early_traffic_secret(ByteView client_hello_hash) const;
  // Derive-Secret(., "e exp master", ClientHello).
  [[nodiscard]] Secret early_exporter_master_secret(ByteView client_hello_hash) const;

  // Handshake Secret = HKDF-Extract(Derive-Secret(., "derived", ""), (EC)DHE).
  [[nodiscard]] HandshakeSecret into_handshake(ByteView ecdhe_shared_secret) &&;

 private:
  EarlySecret(HashAlg alg, Secret s) : alg_(alg), secret_(std::move(s)) {}
  HashAlg alg_;
  Secret secret_;
};

class HandshakeSecret {
 public:
  HandshakeSecret(HandshakeSecret&&) noexcept = default;
  HandshakeSecret& operator=(HandshakeSecret&&) noexcept = default;
  HandshakeSecret(const HandshakeSecret&) = delete;
  HandshakeSecret& operator=(const HandshakeSecret&) = delete;

  [[nodiscard]] HashAlg alg() const { return alg_; }
  [[nodiscard]] ByteView secret() const { return secret_.view(); }

  // Derive-Secret(., "c hs traffic" | "s hs traffic", ClientHello...ServerHello).
  [[nodiscard]] Secret client_handshake_traffic_secret(ByteView ch_sh_hash) const;
  [[nodiscard]] Secret server_handshake_traffic_secret(ByteView ch_sh_hash) const;

  // Master Secret = HKDF-Extract(Derive-Secret(., "derived", ""), 0).
  [[nodiscard]] MasterSecret into_master() &&;

 private:
  friend class EarlySecret;
  HandshakeSecret(HashAlg alg, Secret s) : alg_(alg), secret_(std::move(s)) {}
  HashAlg alg_;
  Secret secret_;
};

class MasterSecret {
 public:
  MasterSecret(MasterSecret&&) noexcept = default;
  MasterSecret& operator=(MasterSecret&&) noexcept = default;
  MasterSecret(const MasterSecret&) = delete;
  MasterSecret& operator=(const MasterSecret&) = delete;

  [[nodiscard]] HashAlg alg() const { return alg_; }
  [[nodiscard]] ByteView secret() const { return secret_.view(); }

  // Transcript ClientHello...server Finished.
  [[nodiscard]] Secret client_application_traffic_secret_0(ByteView ch_sf_hash) const;
  [[nodiscard]] Secret server_application_traffic_secret_0(ByteView ch_sf_hash) const;
  [[nodiscard]] Secret exporter_master_secret(ByteView ch_sf_hash) const;
  // Transcript ClientHello...client Finished.
  [[nodiscard]] Secret resumption_master_secret(ByteView ch_cf_hash) const;

 private:
  friend class HandshakeSecret;
  MasterSecret(HashAlg alg, Secret s) : alg_(alg), secret_(std::move(s)) {}
  HashAlg alg_;
  Secret secret_;
};

// RFC 8446 §7.3: write key and IV for one direction from a traffic secret.
struct TrafficKeys {
  Secret key;
  Secret iv;  // 12 bytes
};
[[nodiscard]] TrafficKeys traffic_keys(HashAlg alg, crypto::AeadAlg aead, ByteView traffic_secret);

// RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(N, "traffic upd", "", Hash.length).
[[nodiscard]] Secret next_traffic_secret(HashAlg alg, ByteView traffic_secret);

// RFC 8446 §4.4.4: verify_data = HMAC(HKDF-Expand-Label(BaseKey, "finished", "", Hash.length),
// Transcript-Hash(...)). Also the PSK binder (§4.2.11.2) with the binder key as BaseKey.
[[nodiscard]] Digest finished_verify_data(HashAlg alg, ByteView base_key, ByteView transcript_hash);
// Constant-time check of a received verify_data.
[[nodiscard]] bool finished_matches(HashAlg alg, ByteView base_key, ByteView transcript_hash,
                                    ByteView received);

// RFC 8446 §7.5: TLS-Exporter(label, context_value, key_length) from the (early) exporter
// master secret. Fails if `out` is longer than 255*Hash.length.
[[nodiscard]] Status export_keying_material(HashAlg alg, ByteView exporter_master_secret,
                                            std::string_view label, ByteView context,
                                            MutByteView out);

// RFC 8446 §4.6.1: the PSK for a ticket, HKDF-Expand-Label(resumption_master_secret,
// "resumption", ticket_nonce, Hash.length).
[[nodiscard]] Secret resumption_psk(HashAlg alg, ByteView resumption_master_secret,
                                    ByteView ticket_nonce);

}  // namespace tlspp::keysched
