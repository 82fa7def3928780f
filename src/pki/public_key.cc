#include "pki/public_key.h"

#include <string>

#include "pki/der.h"

namespace tlspp::pki {

namespace {

Error unusable(const Certificate& cert, const std::string& why) {
  return Error(ErrorKind::bad_certificate, AlertDescription::unsupported_certificate,
               "certificate '" + cert.subject_string() + "' has a public key tlspp cannot use: " + why);
}

// RFC 8017 §A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }.
Result<crypto::PublicKey> rsa_key(ByteView bits) {
  der::Reader r(bits);
  auto seq = r.sequence("RSAPublicKey");
  if (!seq) return fail(std::move(seq.error()));
  TLSPP_TRY(r.expect_end("RSAPublicKey"));
  auto n_el = seq->expect(der::kInteger, "RSA modulus");
  if (!n_el) return fail(std::move(n_el.error()));
  auto e_el = seq->expect(der::kInteger, "RSA public exponent");
  if (!e_el) return fail(std::move(e_el.error()));
  TLSPP_TRY(seq->expect_end("RSAPublicKey"));
  auto n = der::integer(*n_el, "RSA modulus");
  if (!n) return fail(std::move(n.error()));
  auto e = der::integer(*e_el, "RSA public exponent");
  if (!e) return fail(std::move(e.error()));
  if (((*n)[0] & 0x80) || ((*e)[0] & 0x80)) return fail(Error::decode("RSA key has a negative modulus or exponent"));
  return crypto::PublicKey::from_rsa(*n, *e);
}

}  // namespace

Result<crypto::PublicKey> public_key_of(const PublicKeyInfo& info) {
  const ByteView bits = info.public_key_bits;
  switch (info.key_algorithm) {
    case KeyAlgorithm::ec_p256: return crypto::PublicKey::from_ec_point(crypto::KeyType::ec_p256, bits);
    case KeyAlgorithm::ec_p384: return crypto::PublicKey::from_ec_point(crypto::KeyType::ec_p384, bits);
    case KeyAlgorithm::ec_p521: return crypto::PublicKey::from_ec_point(crypto::KeyType::ec_p521, bits);
    // RFC 8410 §4: the raw public key octets.
    case KeyAlgorithm::ed25519: return crypto::PublicKey::from_eddsa(crypto::KeyType::ed25519, bits);
    case KeyAlgorithm::ed448: return crypto::PublicKey::from_eddsa(crypto::KeyType::ed448, bits);
    case KeyAlgorithm::rsa: return rsa_key(bits);
    case KeyAlgorithm::rsa_pss:
    case KeyAlgorithm::ec_other:
    case KeyAlgorithm::unknown: break;
  }
  // Rare types go through the generic decoder.
  return crypto::PublicKey::from_spki(info.spki);
}

Result<crypto::PublicKey> certificate_public_key(const Certificate& cert) {
  auto key = public_key_of({cert.spki, cert.public_key_bits, cert.key_algorithm});
  if (!key) return fail(unusable(cert, key.error().message));
  return key;
}

}  // namespace tlspp::pki
