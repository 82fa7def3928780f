// Test support: record protection keyed from a TLS 1.3 traffic secret, as the connection
// core does it (RFC 8446 §7.3), for tests that drive the record layer alone.
#pragma once

#include "keysched/tls13.h"
#include "record/record.h"

namespace tlspp::test {

[[nodiscard]] inline Status install_tls13(record::Protection& prot, crypto::AeadAlg aead, crypto::HashAlg hash,
                                          ByteView secret) {
  const keysched::TrafficKeys keys = keysched::traffic_keys(hash, aead, secret);
  return prot.install(aead, keys.key.view(), keys.iv.view(), record::RecordForm::tls13);
}

}  // namespace tlspp::test
