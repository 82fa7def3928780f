#include "pki/builder.h"

#include "crypto/x509_build.h"
#include "pki/hostname.h"

namespace tlspp::pki {

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
  for (const auto& ip : ips_)
    if (!parse_ip_address(ip)) return fail(Error::config("'" + ip + "' is not an IP address"));
  crypto::X509Spec spec;
  spec.common_name = cn_;
  spec.organization = org_;
  spec.dns_names = dns_;
  spec.ip_addresses = ips_;
  spec.not_before = not_before_;
  spec.not_after = not_after_;
  spec.serial = serial_;
  spec.basic_constraints = basic_constraints_;
  spec.ca = ca_;
  spec.path_len = path_len_;
  // key_usage:: bits are the KeyUsage bit numbers, as X509Spec takes them.
  spec.key_usage = key_usage_.value_or(ca_ ? key_usage::key_cert_sign | key_usage::crl_sign
                                           : key_usage::digital_signature);
  const uint8_t eku = eku_.value_or(ca_ ? 0 : ext_key_usage::server_auth | ext_key_usage::client_auth);
  spec.eku_server_auth = eku & ext_key_usage::server_auth;
  spec.eku_client_auth = eku & ext_key_usage::client_auth;
  spec.eku_any = eku & ext_key_usage::any;
  spec.permitted_dns = permitted_dns_;
  spec.excluded_dns = excluded_dns_;
  for (const RawExtension& e : extra_) spec.extensions.push_back({e.oid, e.critical, e.value});
  spec.rsa_pss = rsa_pss_;
  spec.hash_bits = hash_bits_;
  return crypto::build_x509(spec, subject_key, issuer_der, signer);
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
