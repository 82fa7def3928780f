#include "common.h"

#include <cstdio>
#include <fstream>

#include "crypto/pem.h"
#include "pki/builder.h"

namespace bench {

const char* key_kind_name(KeyKind k) { return k == KeyKind::ecdsa_p256 ? "ECDSA P-256" : "RSA-2048"; }

void die(const std::string& what) {
  std::fprintf(stderr, "tlspp-bench: %s\n", what.c_str());
  std::exit(1);
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
