// Decoding a certificate's subject public key into a crypto::PublicKey.
//
// OpenSSL 3.0's d2i_PUBKEY (behind crypto::PublicKey::from_spki) runs the generic decoder
// machinery and costs 75-130 us per key, more than the signature it is needed for. The
// certificate parser has already taken the SubjectPublicKeyInfo apart, so the common key
// types are built directly from their parameters (EVP_PKEY_fromdata, raw EdDSA keys) at
// 3-5 us; other types fall back to from_spki.
#pragma once

#include "crypto/sig.h"
#include "pki/certificate.h"
#include "tlspp/error.h"

namespace tlspp::pki {

// The certificate's public key. Errors: Error{bad_certificate, unsupported_certificate,
// "certificate 'CN=x' has a public key tlspp cannot use: ..."}.
[[nodiscard]] Result<crypto::PublicKey> certificate_public_key(const Certificate& cert);

}  // namespace tlspp::pki
