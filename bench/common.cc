#include "common.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

#include "crypto/pem.h"
#include "pki/builder.h"

namespace bench {

const char* key_kind_name(KeyKind k) { return k == KeyKind::ecdsa_p256 ? "ECDSA P-256" : "RSA-2048"; }

void die(const std::string& what) {
  std::fprintf(stderr, "tlspp-bench: %s\n", what.c_str());
  std::exit(1);
}

int64_t cpu_clock_overhead_ns() {
  static const int64_t overhead = [] {
    std::vector<int64_t> d(1001);
    for (auto& x : d) {
      const int64_t a = cpu_ns();
      x = cpu_ns() - a;
    }
    std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
    return d[d.size() / 2];
  }();
  return overhead;
}

HandshakeResult handshake_result(int64_t client_ns, int64_t server_ns, int count) {
  HandshakeResult r;
  r.count = count;
  r.client_us = client_ns / 1e3 / count;
  r.server_us = server_ns / 1e3 / count;
  r.per_second = 1e6 / (r.client_us + r.server_us);
  return r;
}

Identity make_identity(KeyKind kind, const std::string& dir) {
  tlspp::pki::TestPkiOptions o;
  o.names = {kHost};
  o.key_type = kind == KeyKind::ecdsa_p256 ? tlspp::crypto::KeyType::ec_p256 : tlspp::crypto::KeyType::rsa;
  o.rsa_bits = 2048;
  o.intermediate = false;
  auto pki = tlspp::pki::make_test_pki(o);
  if (!pki) die("make_test_pki: " + pki.error().to_string());

  Identity id;
  id.kind = kind;
  id.root_der = pki->root;
  id.leaf_der = pki->leaf;
  id.leaf_key_pkcs8 = pki->leaf_key.pkcs8_der();
  id.chain_pem = tlspp::crypto::pem_encode("CERTIFICATE", id.leaf_der);
  id.key_pem = tlspp::crypto::pem_encode("PRIVATE KEY", id.leaf_key_pkcs8);
  id.root_pem_path = dir + (kind == KeyKind::ecdsa_p256 ? "/root-ecdsa.pem" : "/root-rsa.pem");
  std::ofstream(id.root_pem_path) << tlspp::crypto::pem_encode("CERTIFICATE", id.root_der);
  return id;
}

}  // namespace bench
