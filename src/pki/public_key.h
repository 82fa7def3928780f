// Decoding a certificate's subject public key into a crypto::PublicKey.
//
// The certificate parser has already taken the SubjectPublicKeyInfo apart, so the common key
// types are built from their parameters (crypto::PublicKey::from_ec_point, from_eddsa,
// from_rsa: 3-5 us) rather than through OpenSSL's generic decoder (from_spki: 75-130 us,
// more than the signature the key is needed for); other types fall back to from_spki.
#pragma once

#include "crypto/sig.h"
#include "pki/certificate.h"
#include "tlspp/error.h"

namespace tlspp::pki {

// The certificate's public key. Errors: Error{bad_certificate, unsupported_certificate,
// "certificate 'CN=x' has a public key tlspp cannot use: ..."}.
[[nodiscard]] Result<crypto::PublicKey> certificate_public_key(const Certificate& cert);
// The key of a SubjectPublicKeyInfo taken apart (parse_public_key_info), the same way;
// errors carry only why.
[[nodiscard]] Result<crypto::PublicKey> public_key_of(const PublicKeyInfo& info);

}  // namespace tlspp::pki
