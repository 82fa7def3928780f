#include "keysched/tls13.h"

namespace tlspp::keysched {

using crypto::derive_secret;
using crypto::expand_label;
using crypto::HashCtx;
using crypto::hash_len;

namespace {

// Derive-Secret(secret, "derived", "") uses the hash of the empty transcript.
Secret derived(HashAlg alg, ByteView secret) {
  const Digest empty = HashCtx::digest(alg, {});
  return derive_secret(alg, secret, "derived", empty.view());
}

}  // namespace

EarlySecret EarlySecret::without_psk(HashAlg alg) {
  const uint8_t zeros[48] = {};
  return with_psk(alg, ByteView(zeros, hash_len(alg)));
}

EarlySecret EarlySecret::with_psk(HashAlg alg, ByteView psk) {
  // RFC 8446 §7.1: the salt of the first Extract is 0, i.e. HashLen zero bytes; hkdf_extract
  // treats an empty salt that way (RFC 5869 §2.2).
  return EarlySecret(alg, crypto::hkdf_extract(alg, {}, psk));
}

Secret EarlySecret::binder_key(bool external_psk) const {
  const Digest empty = HashCtx::digest(alg_, {});
  return derive_secret(alg_, secret_.view(), external_psk ? "ext binder" : "res binder", empty.view());
}

Secret EarlySecret::client_early_traffic_secret(ByteView client_hello_hash) const {
  return derive_secret(alg_, secret_.view(), "c e traffic", client_hello_hash);
}

Secret EarlySecret::early_exporter_master_secret(ByteView client_hello_hash) const {
  return derive_secret(alg_, secret_.view(), "e exp master", client_hello_hash);
}

HandshakeSecret EarlySecret::into_handshake(ByteView ecdhe_shared_secret) && {
  const Secret salt = derived(alg_, secret_.view());
  secret_.wipe();
  return HandshakeSecret(alg_, crypto::hkdf_extract(alg_, salt.view(), ecdhe_shared_secret));
}

Secret HandshakeSecret::client_handshake_traffic_secret(ByteView ch_sh_hash) const {
  return derive_secret(alg_, secret_.view(), "c hs traffic", ch_sh_hash);
}

Secret HandshakeSecret::server_handshake_traffic_secret(ByteView ch_sh_hash) const {
  return derive_secret(alg_, secret_.view(), "s hs traffic", ch_sh_hash);
}

MasterSecret HandshakeSecret::into_master() && {
  const Secret salt = derived(alg_, secret_.view());
  secret_.wipe();
  const uint8_t zeros[48] = {};
  return MasterSecret(alg_, crypto::hkdf_extract(alg_, salt.view(), ByteView(zeros, hash_len(alg_))));
}

Secret MasterSecret::client_application_traffic_secret_0(ByteView ch_sf_hash) const {
  return derive_secret(alg_, secret_.view(), "c ap traffic", ch_sf_hash);
}

Secret MasterSecret::server_application_traffic_secret_0(ByteView ch_sf_hash) const {
  return derive_secret(alg_, secret_.view(), "s ap traffic", ch_sf_hash);
}

Secret MasterSecret::exporter_master_secret(ByteView ch_sf_hash) const {
  return derive_secret(alg_, secret_.view(), "exp master", ch_sf_hash);
}

Secret MasterSecret::resumption_master_secret(ByteView ch_cf_hash) const {
  return derive_secret(alg_, secret_.view(), "res master", ch_cf_hash);
}

TrafficKeys traffic_keys(HashAlg alg, crypto::AeadAlg aead, ByteView traffic_secret) {
  return TrafficKeys{expand_label(alg, traffic_secret, "key", {}, crypto::aead_key_len(aead)),
                     expand_label(alg, traffic_secret, "iv", {}, crypto::kAeadNonceLen)};
}

Secret next_traffic_secret(HashAlg alg, ByteView traffic_secret) {
  return expand_label(alg, traffic_secret, "traffic upd", {}, hash_len(alg));
}

Digest finished_verify_data(HashAlg alg, ByteView base_key, ByteView transcript_hash) {
  const Secret finished_key = expand_label(alg, base_key, "finished", {}, hash_len(alg));
  return crypto::hmac(alg, finished_key.view(), transcript_hash);
}

bool finished_matches(HashAlg alg, ByteView base_key, ByteView transcript_hash, ByteView received) {
  const Digest expected = finished_verify_data(alg, base_key, transcript_hash);
  return crypto::ct_equal(expected.view(), received);
}

Status export_keying_material(HashAlg alg, ByteView exporter_master_secret, std::string_view label,
                              ByteView context, MutByteView out) {
  // RFC 8446 §7.5: HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter",
  // Hash(context_value), key_length).
  const Digest empty = HashCtx::digest(alg, {});
  const Secret derived_secret = derive_secret(alg, exporter_master_secret, label, empty.view());
  const Digest context_hash = HashCtx::digest(alg, context);
  return crypto::hkdf_expand_label(alg, derived_secret.view(), "exporter", context_hash.view(), out);
}

Secret resumption_psk(HashAlg alg, ByteView resumption_master_secret, ByteView ticket_nonce) {
  return expand_label(alg, resumption_master_secret, "resumption", ticket_nonce, hash_len(alg));
}

}  // namespace tlspp::keysched
