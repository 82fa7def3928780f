#include "pki/certificate.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "pki/der.h"
#include "pki/oids.h"

namespace tlspp::pki {

namespace {

using der::Element;
using der::Reader;

// Like TLSPP_TRY, but keeps the value: declares `var` from a Result, or returns its error.
#define PKI_ASSIGN(var, expr)                                      \
  auto var##_r_ = (expr);                                          \
  if (!var##_r_) return ::std::unexpected(std::move(var##_r_.error())); \
  auto var = std::move(*var##_r_)

Error malformed(std::string_view what, std::string_view problem) {
  std::string m(what);
  m += ' ';
  m += problem;
  return Error::decode(std::move(m));
}

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } (RFC 5280 §4.1.1.2).
struct AlgorithmId {
  ByteView oid;
  std::optional<Element> params;
};

Result<AlgorithmId> read_algorithm(Reader& r, std::string_view what) {
  PKI_ASSIGN(seq, r.sequence(what));
  PKI_ASSIGN(oid_el, seq.any(what));
  PKI_ASSIGN(oid, der::oid(oid_el, what));
  AlgorithmId a{oid, std::nullopt};
  if (!seq.empty()) {
    PKI_ASSIGN(p, seq.any(what));
    a.params = p;
  }
  TLSPP_TRY(seq.expect_end(what));
  return a;
}

bool params_absent_or_null(const AlgorithmId& a) {
  return !a.params || (a.params->tag == der::kNull && a.params->contents.empty());
}

// A hash AlgorithmIdentifier inside RSASSA-PSS-params: 0 = unknown, else 256/384/512.
int pss_hash_bits(ByteView encoding) {
  Reader r(encoding);
  auto a = read_algorithm(r, "hash");
  if (!a || !r.empty() || !params_absent_or_null(*a)) return 0;
  if (oid::is(a->oid, oid::sha256)) return 256;
  if (oid::is(a->oid, oid::sha384)) return 384;
  if (oid::is(a->oid, oid::sha512)) return 512;
  return 0;
}

// RFC 4055 §3.1 RSASSA-PSS-params. Only the TLS 1.3 form is supported (RFC 8446 §4.2.3:
// MGF1 with the message hash, salt as long as the hash, trailer 1); anything else maps to
// `unsupported` rather than failing the parse.
SignatureAlgorithm classify_pss(const std::optional<Element>& params) {
  if (!params || params->tag != der::kSequence) return SignatureAlgorithm::unsupported;
  Reader r(params->contents);
  auto hash = r.optional(der::context(0, true), "hashAlgorithm");
  auto mgf = r.optional(der::context(1, true), "maskGenAlgorithm");
  auto salt = r.optional(der::context(2, true), "saltLength");
  auto trailer = r.optional(der::context(3, true), "trailerField");
  if (!hash || !mgf || !salt || !trailer || !*hash || !*mgf || !*salt || !r.empty())
    return SignatureAlgorithm::unsupported;
  const int bits = pss_hash_bits((*hash)->contents);
  if (bits == 0) return SignatureAlgorithm::unsupported;
  {
    Reader m((*mgf)->contents);
    auto a = read_algorithm(m, "mgf");
    if (!a || !m.empty() || !oid::is(a->oid, oid::mgf1) || !a->params ||
        pss_hash_bits(a->params->encoding) != bits)
      return SignatureAlgorithm::unsupported;
  }
  {
    Reader s((*salt)->contents);
    auto el = s.any("salt");
    if (!el || !s.empty()) return SignatureAlgorithm::unsupported;
    auto v = der::small_uint(*el, "salt");
    if (!v || *v != static_cast<uint32_t>(bits / 8)) return SignatureAlgorithm::unsupported;
  }
  if (*trailer) {
    Reader t((**trailer).contents);
    auto el = t.any("trailer");
    if (!el || !t.empty()) return SignatureAlgorithm::unsupported;
    auto v = der::small_uint(*el, "trailer");
    if (!v || *v != 1) return SignatureAlgorithm::unsupported;
  }
  return bits == 256 ? SignatureAlgorithm::rsa_pss_sha256
         : bits == 384 ? SignatureAlgorithm::rsa_pss_sha384
                       : SignatureAlgorithm::rsa_pss_sha512;
}

SignatureAlgorithm classify_signature(const AlgorithmId& a) {
  using SA = SignatureAlgorithm;
  // RFC 4055 §5 says NULL parameters; absent ones are common enough to tolerate.
  if (oid::is(a.oid, oid::sha256_with_rsa)) return params_absent_or_null(a) ? SA::rsa_pkcs1_sha256 : SA::unsupported;
  if (oid::is(a.oid, oid::sha384_with_rsa)) return params_absent_or_null(a) ? SA::rsa_pkcs1_sha384 : SA::unsupported;
  if (oid::is(a.oid, oid::sha512_with_rsa)) return params_absent_or_null(a) ? SA::rsa_pkcs1_sha512 : SA::unsupported;
  if (oid::is(a.oid, oid::sha1_with_rsa)) return params_absent_or_null(a) ? SA::rsa_pkcs1_sha1 : SA::unsupported;
  if (oid::is(a.oid, oid::rsassa_pss)) return classify_pss(a.params);
  // RFC 5758 §3.2 and RFC 8410 §3: parameters MUST be absent.
  if (a.params) return SA::unsupported;
  if (oid::is(a.oid, oid::ecdsa_with_sha256)) return SA::ecdsa_sha256;
  if (oid::is(a.oid, oid::ecdsa_with_sha384)) return SA::ecdsa_sha384;
  if (oid::is(a.oid, oid::ecdsa_with_sha512)) return SA::ecdsa_sha512;
  if (oid::is(a.oid, oid::ecdsa_with_sha1)) return SA::ecdsa_sha1;
  if (oid::is(a.oid, oid::ed25519)) return SA::ed25519;
  if (oid::is(a.oid, oid::ed448)) return SA::ed448;
  return SA::unsupported;
}

KeyAlgorithm classify_key(const AlgorithmId& a) {
  if (oid::is(a.oid, oid::rsa_encryption)) return KeyAlgorithm::rsa;
  if (oid::is(a.oid, oid::rsassa_pss)) return KeyAlgorithm::rsa_pss;
  if (oid::is(a.oid, oid::ed25519)) return KeyAlgorithm::ed25519;
  if (oid::is(a.oid, oid::ed448)) return KeyAlgorithm::ed448;
  if (oid::is(a.oid, oid::ec_public_key)) {
    // RFC 5480 §2.1.1: namedCurve OID parameters.
    if (!a.params || a.params->tag != der::kOid) return KeyAlgorithm::ec_other;
    const ByteView curve = a.params->contents;
    if (oid::is(curve, oid::secp256r1)) return KeyAlgorithm::ec_p256;
    if (oid::is(curve, oid::secp384r1)) return KeyAlgorithm::ec_p384;
    if (oid::is(curve, oid::secp521r1)) return KeyAlgorithm::ec_p521;
    return KeyAlgorithm::ec_other;
  }
  return KeyAlgorithm::unknown;
}

// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
Result<PublicKeyInfo> read_public_key_info(const der::Element& spki_el) {
  PublicKeyInfo info;
  info.spki = spki_el.encoding;
  Reader spki(spki_el.contents);
  PKI_ASSIGN(key_alg, read_algorithm(spki, "subjectPublicKeyInfo.algorithm"));
  PKI_ASSIGN(key_el, spki.any("subjectPublicKeyInfo.subjectPublicKey"));
  PKI_ASSIGN(key_bits, der::octet_aligned_bits(key_el, "subjectPublicKeyInfo.subjectPublicKey"));
  info.public_key_bits = key_bits;
  TLSPP_TRY(spki.expect_end("subjectPublicKeyInfo"));
  info.key_algorithm = classify_key(key_alg);
  return info;
}

// Name ::= SEQUENCE OF RelativeDistinguishedName; RDN ::= SET SIZE (1..MAX) OF
// AttributeTypeAndValue; ATV ::= SEQUENCE { type OID, value ANY } (RFC 5280 §4.1.2.4).
Result<ByteView> read_name(Reader& r, std::string_view what) {
  PKI_ASSIGN(name, r.expect(der::kSequence, what));
  Reader rdns(name.contents);
  while (!rdns.empty()) {
    PKI_ASSIGN(rdn, rdns.expect(der::kSet, what));
    Reader atvs(rdn.contents);
    if (atvs.empty()) return fail(malformed(what, "has an empty RelativeDistinguishedName"));
    while (!atvs.empty()) {
      PKI_ASSIGN(atv, atvs.sequence(what));
      PKI_ASSIGN(type_el, atv.any(what));
      TLSPP_TRY(der::oid(type_el, what));
      TLSPP_TRY(atv.any(what));
      TLSPP_TRY(atv.expect_end(what));
    }
  }
  return name.encoding;
}

// Validates one GeneralName (RFC 5280 §4.2.1.6). In nameConstraints an iPAddress carries
// address and mask (§4.2.1.10), so its length doubles.
Status check_general_name(const Element& e, bool in_constraints, std::string_view what) {
  if ((e.tag & 0xc0) != 0x80) return fail(malformed(what, "contains a GeneralName that is not context-tagged"));
  const uint8_t number = e.tag & 0x1f;
  const bool constructed = e.tag & 0x20;
  switch (number) {
    case 1: case 2: case 6: {  // rfc822Name, dNSName, uniformResourceIdentifier: IA5String
      if (constructed) return fail(malformed(what, "contains a constructed IA5String name"));
      for (uint8_t b : e.contents)
        if (b >= 0x80) return fail(malformed(what, "contains a name with non-ASCII bytes"));
      return {};
    }
    case 7: {  // iPAddress
      if (constructed) return fail(malformed(what, "contains a constructed iPAddress"));
      const size_t n = e.contents.size();
      const bool ok = in_constraints ? (n == 8 || n == 32) : (n == 4 || n == 16);
      if (!ok) return fail(malformed(what, "contains an iPAddress of " + std::to_string(n) + " bytes"));
      return {};
    }
    case 8:  // registeredID: OBJECT IDENTIFIER, implicitly tagged
      if (constructed) return fail(malformed(what, "contains a constructed registeredID"));
      return {};
    case 0: case 3: case 4: case 5:  // otherName, x400Address, directoryName, ediPartyName
      if (!constructed) return fail(malformed(what, "contains a primitive structured name"));
      if (number == 4) {
        // directoryName is an explicitly tagged Name (Name is a CHOICE).
        Reader inner(e.contents);
        TLSPP_TRY(read_name(inner, what));
        TLSPP_TRY(inner.expect_end(what));
      }
      return {};
    default:
      return fail(malformed(what, "contains a GeneralName of unknown type"));
  }
}

// The body of a GeneralNames SEQUENCE SIZE (1..MAX) OF GeneralName.
Result<ByteView> read_general_names(ByteView value, std::string_view what) {
  Reader r(value);
  PKI_ASSIGN(seq, r.expect(der::kSequence, what));
  TLSPP_TRY(r.expect_end(what));
  Reader names(seq.contents);
  if (names.empty()) return fail(malformed(what, "is empty"));
  while (!names.empty()) {
    PKI_ASSIGN(gn, names.any(what));
    TLSPP_TRY(check_general_name(gn, false, what));
  }
  return seq.contents;
}

// GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree;
// GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }.
Status check_subtrees(ByteView body, std::string_view what) {
  Reader r(body);
  if (r.empty()) return fail(malformed(what, "has an empty subtree list"));
  while (!r.empty()) {
    PKI_ASSIGN(subtree, r.sequence(what));
    PKI_ASSIGN(base, subtree.any(what));
    TLSPP_TRY(check_general_name(base, true, what));
    // RFC 5280 §4.2.1.10: minimum MUST be zero (so absent in DER), maximum MUST be absent.
    if (!subtree.empty()) return fail(malformed(what, "uses minimum/maximum, which RFC 5280 forbids"));
  }
  return {};
}

Result<ByteView> extension_value_reader(ByteView value, uint8_t tag, std::string_view what,
                                        Reader& out) {
  Reader r(value);
  PKI_ASSIGN(el, r.expect(tag, what));
  TLSPP_TRY(r.expect_end(what));
  out = Reader(el.contents);
  return el.contents;
}

Status parse_extension(Certificate& c, ByteView id, bool critical, ByteView value) {
  if (oid::is(id, oid::basic_constraints)) {
    // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
    constexpr std::string_view what = "basicConstraints extension";
    Reader r(value);
    TLSPP_TRY(extension_value_reader(value, der::kSequence, what, r));
    c.has_basic_constraints = true;
    PKI_ASSIGN(ca, r.optional(der::kBoolean, what));
    if (ca) {
      PKI_ASSIGN(flag, der::boolean(*ca, what));
      c.is_ca = flag;
    }
    PKI_ASSIGN(len, r.optional(der::kInteger, what));
    if (len) {
      PKI_ASSIGN(n, der::small_uint(*len, what));
      c.path_len = n;
    }
    TLSPP_TRY(r.expect_end(what));
    return {};
  }
  if (oid::is(id, oid::key_usage)) {
    constexpr std::string_view what = "keyUsage extension";
    Reader r(value);
    PKI_ASSIGN(el, r.any(what));
    TLSPP_TRY(r.expect_end(what));
    PKI_ASSIGN(bits, der::bit_string(el, what));
    if (bits.bytes.size() > 2) return fail(malformed(what, "has more bits than RFC 5280 defines"));
    uint16_t ku = 0;
    // Bit 0 (digitalSignature) is the most significant bit of the first byte.
    for (size_t i = 0; i < bits.bytes.size() * 8; ++i)
      if (bits.bytes[i / 8] & (0x80 >> (i % 8))) ku = static_cast<uint16_t>(ku | (1u << i));
    if (ku >> 9) return fail(malformed(what, "has more bits than RFC 5280 defines"));
    c.key_usage = ku;
    return {};
  }
  if (oid::is(id, oid::ext_key_usage)) {
    constexpr std::string_view what = "extKeyUsage extension";
    Reader r(value);
    TLSPP_TRY(extension_value_reader(value, der::kSequence, what, r));
    if (r.empty()) return fail(malformed(what, "is empty"));
    uint8_t eku = 0;
    while (!r.empty()) {
      PKI_ASSIGN(el, r.any(what));
      PKI_ASSIGN(purpose, der::oid(el, what));
      if (oid::is(purpose, oid::kp_server_auth)) eku |= ext_key_usage::server_auth;
      else if (oid::is(purpose, oid::kp_client_auth)) eku |= ext_key_usage::client_auth;
      else if (oid::is(purpose, oid::any_extended_key_usage)) eku |= ext_key_usage::any;
      else eku |= ext_key_usage::other;
    }
    c.ext_key_usage = eku;
    return {};
  }
  if (oid::is(id, oid::subject_alt_name)) {
    PKI_ASSIGN(body, read_general_names(value, "subjectAltName extension"));
    c.has_subject_alt_name = true;
    c.subject_alt_names = GeneralNames(body);
    return {};
  }
  if (oid::is(id, oid::authority_key_identifier)) {
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL,
    //   authorityCertIssuer [1] GeneralNames OPTIONAL, authorityCertSerialNumber [2] OPTIONAL }
    constexpr std::string_view what = "authorityKeyIdentifier extension";
    Reader r(value);
    TLSPP_TRY(extension_value_reader(value, der::kSequence, what, r));
    PKI_ASSIGN(kid, r.optional(der::context(0, false), what));
    if (kid) c.authority_key_id = kid->contents;
    TLSPP_TRY(r.optional(der::context(1, true), what));
    TLSPP_TRY(r.optional(der::context(2, false), what));
    TLSPP_TRY(r.expect_end(what));
    return {};
  }
  if (oid::is(id, oid::subject_key_identifier)) {
    constexpr std::string_view what = "subjectKeyIdentifier extension";
    Reader r(value);
    PKI_ASSIGN(kid, extension_value_reader(value, der::kOctetString, what, r));
    c.subject_key_id = kid;
    return {};
  }
  if (oid::is(id, oid::name_constraints)) {
    // NameConstraints ::= SEQUENCE { permittedSubtrees [0] OPTIONAL, excludedSubtrees [1] OPTIONAL }
    constexpr std::string_view what = "nameConstraints extension";
    Reader r(value);
    TLSPP_TRY(extension_value_reader(value, der::kSequence, what, r));
    PKI_ASSIGN(permitted, r.optional(der::context(0, true), what));
    PKI_ASSIGN(excluded, r.optional(der::context(1, true), what));
    TLSPP_TRY(r.expect_end(what));
    // RFC 5280 §4.2.1.10: "either the permittedSubtrees field or the excludedSubtrees MUST be present".
    if (!permitted && !excluded) return fail(malformed(what, "is empty"));
    if (permitted) {
      TLSPP_TRY(check_subtrees(permitted->contents, what));
      c.permitted_subtrees = GeneralNames(permitted->contents, true);
    }
    if (excluded) {
      TLSPP_TRY(check_subtrees(excluded->contents, what));
      c.excluded_subtrees = GeneralNames(excluded->contents, true);
    }
    c.has_name_constraints = true;
    return {};
  }
  // RFC 5280 §6.1 with the initial policy set any-policy and no explicit-policy
  // requirement accepts every policy, so a critical certificatePolicies needs no action.
  if (oid::is(id, oid::certificate_policies)) return {};
  if (critical && c.unhandled_critical_extension.empty()) c.unhandled_critical_extension = id;
  return {};
}

Status parse_extensions(Certificate& c, ByteView body) {
  constexpr std::string_view what = "extensions";
  Reader r(body);
  PKI_ASSIGN(exts, r.sequence(what));
  TLSPP_TRY(r.expect_end(what));
  if (exts.empty()) return fail(malformed(what, "is an empty list"));
  // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
  // extension." Real certificates carry a dozen at most.
  std::array<ByteView, 32> seen{};
  size_t count = 0;
  while (!exts.empty()) {
    PKI_ASSIGN(ext, exts.sequence("extension"));
    PKI_ASSIGN(id_el, ext.any("extension"));
    PKI_ASSIGN(id, der::oid(id_el, "extension"));
    bool critical = false;
    PKI_ASSIGN(crit, ext.optional(der::kBoolean, "extension critical flag"));
    if (crit) {
      PKI_ASSIGN(flag, der::boolean(*crit, "extension critical flag"));
      critical = flag;
    }
    PKI_ASSIGN(value, ext.expect(der::kOctetString, "extension value"));
    TLSPP_TRY(ext.expect_end("extension"));
    if (count == seen.size()) return fail(malformed(what, "has more than 32 entries"));
    for (size_t i = 0; i < count; ++i)
      if (std::ranges::equal(seen[i], id))
        return fail(malformed(what, "contain extension " + der::oid_to_string(id) + " twice"));
    seen[count++] = id;
    TLSPP_TRY(parse_extension(c, id, critical, value.contents));
  }
  return {};
}

Result<Certificate> parse(ByteView input) {
  Certificate c;
  Reader outer(input);
  PKI_ASSIGN(cert_el, outer.expect(der::kSequence, "Certificate"));
  TLSPP_TRY(outer.expect_end("Certificate"));
  c.der = cert_el.encoding;
  Reader cert(cert_el.contents);

  PKI_ASSIGN(tbs_el, cert.expect(der::kSequence, "tbsCertificate"));
  c.tbs = tbs_el.encoding;
  PKI_ASSIGN(outer_alg_el, cert.expect(der::kSequence, "signatureAlgorithm"));
  Reader outer_alg_reader(outer_alg_el.encoding);
  PKI_ASSIGN(outer_alg, read_algorithm(outer_alg_reader, "signatureAlgorithm"));
  PKI_ASSIGN(sig_el, cert.expect(der::kBitString, "signatureValue"));
  PKI_ASSIGN(sig, der::octet_aligned_bits(sig_el, "signatureValue"));
  TLSPP_TRY(cert.expect_end("Certificate"));
  c.signature = sig;
  c.signature_algorithm_oid = outer_alg.oid;
  c.signature_algorithm = classify_signature(outer_alg);

  Reader tbs(tbs_el.contents);
  // version [0] EXPLICIT Version DEFAULT v1. An explicit v1 is not DER but is harmless and
  // occurs in old certificates, so it is accepted.
  PKI_ASSIGN(ver_el, tbs.optional(der::context(0, true), "version"));
  c.version = 1;
  if (ver_el) {
    Reader v(ver_el->contents);
    PKI_ASSIGN(int_el, v.expect(der::kInteger, "version"));
    TLSPP_TRY(v.expect_end("version"));
    PKI_ASSIGN(n, der::small_uint(int_el, "version"));
    if (n > 2) return fail(malformed("version", "is " + std::to_string(n) + ", not v1, v2 or v3"));
    c.version = static_cast<uint8_t>(n + 1);
  }
  PKI_ASSIGN(serial_el, tbs.expect(der::kInteger, "serialNumber"));
  PKI_ASSIGN(serial, der::integer(serial_el, "serialNumber"));
  c.serial = serial;
  // RFC 5280 §4.1.1.2: the signature field of the TBS MUST equal signatureAlgorithm.
  PKI_ASSIGN(inner_alg_el, tbs.expect(der::kSequence, "signature"));
  if (!std::ranges::equal(outer_alg_el.encoding, inner_alg_el.encoding))
    return fail(malformed("signature", "in tbsCertificate differs from signatureAlgorithm"));
  PKI_ASSIGN(issuer, read_name(tbs, "issuer"));
  c.issuer = issuer;
  {
    PKI_ASSIGN(validity, tbs.sequence("validity"));
    PKI_ASSIGN(nb_el, validity.any("validity.notBefore"));
    PKI_ASSIGN(nb, der::time(nb_el, "validity.notBefore"));
    PKI_ASSIGN(na_el, validity.any("validity.notAfter"));
    PKI_ASSIGN(na, der::time(na_el, "validity.notAfter"));
    TLSPP_TRY(validity.expect_end("validity"));
    c.not_before = nb;
    c.not_after = na;
  }
  PKI_ASSIGN(subject, read_name(tbs, "subject"));
  c.subject = subject;
  {
    PKI_ASSIGN(spki_el, tbs.expect(der::kSequence, "subjectPublicKeyInfo"));
    PKI_ASSIGN(info, read_public_key_info(spki_el));
    c.spki = info.spki;
    c.public_key_bits = info.public_key_bits;
    c.key_algorithm = info.key_algorithm;
  }
  // issuerUniqueID [1] / subjectUniqueID [2] IMPLICIT BIT STRING: v2 and v3 only (§4.1.2.8).
  PKI_ASSIGN(issuer_uid, tbs.optional(der::context(1, false), "issuerUniqueID"));
  PKI_ASSIGN(subject_uid, tbs.optional(der::context(2, false), "subjectUniqueID"));
  if ((issuer_uid || subject_uid) && c.version < 2)
    return fail(malformed("uniqueIdentifier", "appears in a v1 certificate"));
  PKI_ASSIGN(ext_el, tbs.optional(der::context(3, true), "extensions"));
  if (ext_el) {
    // §4.1.2.9: extensions only in v3.
    if (c.version != 3) return fail(malformed("extensions", "appear in a v" + std::to_string(c.version) + " certificate"));
    TLSPP_TRY(parse_extensions(c, ext_el->contents));
  }
  TLSPP_TRY(tbs.expect_end("tbsCertificate"));
  return c;
}

struct AttributeName {
  std::string_view dotted;
  std::string_view short_name;
};
// OpenSSL's short names for attribute types, so one-line names read as people expect.
constexpr AttributeName kAttributeNames[] = {
    {"2.5.4.3", "CN"}, {"2.5.4.4", "SN"}, {"2.5.4.5", "serialNumber"}, {"2.5.4.6", "C"},
    {"2.5.4.7", "L"}, {"2.5.4.8", "ST"}, {"2.5.4.9", "street"}, {"2.5.4.10", "O"},
    {"2.5.4.11", "OU"}, {"2.5.4.12", "title"}, {"2.5.4.13", "description"},
    {"2.5.4.15", "businessCategory"}, {"2.5.4.17", "postalCode"}, {"2.5.4.41", "name"},
    {"2.5.4.42", "GN"}, {"2.5.4.43", "initials"}, {"2.5.4.44", "generationQualifier"},
    {"2.5.4.45", "x500UniqueIdentifier"}, {"2.5.4.46", "dnQualifier"}, {"2.5.4.65", "pseudonym"},
    {"2.5.4.97", "organizationIdentifier"}, {"1.2.840.113549.1.9.1", "emailAddress"},
    {"0.9.2342.19200300.100.1.1", "UID"}, {"0.9.2342.19200300.100.1.25", "DC"},
    {"1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"}, {"1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"},
    {"1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"},
};

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

void append_hex(std::string& out, ByteView bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
}

// Decodes a directory string to code points; false if its tag is not a string type we know.
bool decode_string(const Element& e, std::vector<uint32_t>& cps) {
  const ByteView c = e.contents;
  switch (e.tag) {
    case der::kUtf8String: {
      for (size_t i = 0; i < c.size();) {
        const uint8_t b = c[i];
        size_t n = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || i + n > c.size()) return false;
        uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1f) : n == 3 ? (b & 0x0f) : (b & 0x07);
        for (size_t k = 1; k < n; ++k) {
          if ((c[i + k] & 0xc0) != 0x80) return false;
          cp = (cp << 6) | (c[i + k] & 0x3f);
        }
        cps.push_back(cp);
        i += n;
      }
      return true;
    }
    case 0x12:  // NumericString
    case 0x15:  // VideotexString
    case 0x19:  // GraphicString
    case 0x1b:  // GeneralString
    case der::kPrintableString:
    case der::kIa5String:
    case der::kVisibleString:
    case der::kTeletexString:  // these are read as Latin-1, as OpenSSL does
      for (uint8_t b : c) cps.push_back(b);
      return true;
    case der::kBmpString:
      if (c.size() % 2) return false;
      for (size_t i = 0; i < c.size(); i += 2) cps.push_back((uint32_t{c[i]} << 8) | c[i + 1]);
      return true;
    case der::kUniversalString:
      if (c.size() % 4) return false;
      for (size_t i = 0; i < c.size(); i += 4)
        cps.push_back((uint32_t{c[i]} << 24) | (uint32_t{c[i + 1]} << 16) | (uint32_t{c[i + 2]} << 8) | c[i + 3]);
      return true;
    default:
      return false;
  }
}

// RFC 4514 §2.4 escaping of one attribute value.
void append_value(std::string& out, const Element& value) {
  std::vector<uint32_t> cps;
  if (!decode_string(value, cps)) {
    out += '#';
    append_hex(out, value.encoding);
    return;
  }
  for (size_t i = 0; i < cps.size(); ++i) {
    const uint32_t cp = cps[i];
    const bool special = cp == ',' || cp == '+' || cp == '"' || cp == '\\' || cp == '<' ||
                         cp == '>' || cp == ';' || ((cp == ' ' || cp == '#') && i == 0) ||
                         (cp == ' ' && i + 1 == cps.size());
    if (special) {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp < 0x20 || cp == 0x7f) {
      const uint8_t b = static_cast<uint8_t>(cp);
      out += '\\';
      append_hex(out, ByteView(&b, 1));
    } else {
      append_utf8(out, cp);
    }
  }
}

#undef PKI_ASSIGN

}  // namespace

std::string_view signature_algorithm_name(SignatureAlgorithm a) {
  switch (a) {
    case SignatureAlgorithm::unsupported: return "unsupported";
    case SignatureAlgorithm::rsa_pkcs1_sha1: return "sha1WithRSAEncryption";
    case SignatureAlgorithm::rsa_pkcs1_sha256: return "sha256WithRSAEncryption";
    case SignatureAlgorithm::rsa_pkcs1_sha384: return "sha384WithRSAEncryption";
    case SignatureAlgorithm::rsa_pkcs1_sha512: return "sha512WithRSAEncryption";
    case SignatureAlgorithm::rsa_pss_sha256: return "RSASSA-PSS with SHA-256";
    case SignatureAlgorithm::rsa_pss_sha384: return "RSASSA-PSS with SHA-384";
    case SignatureAlgorithm::rsa_pss_sha512: return "RSASSA-PSS with SHA-512";
    case SignatureAlgorithm::ecdsa_sha1: return "ecdsa-with-SHA1";
    case SignatureAlgorithm::ecdsa_sha256: return "ecdsa-with-SHA256";
    case SignatureAlgorithm::ecdsa_sha384: return "ecdsa-with-SHA384";
    case SignatureAlgorithm::ecdsa_sha512: return "ecdsa-with-SHA512";
    case SignatureAlgorithm::ed25519: return "Ed25519";
    case SignatureAlgorithm::ed448: return "Ed448";
  }
  return "unsupported";
}

std::string_view key_algorithm_name(KeyAlgorithm a) {
  switch (a) {
    case KeyAlgorithm::unknown: return "unknown key type";
    case KeyAlgorithm::rsa: return "RSA";
    case KeyAlgorithm::rsa_pss: return "RSA-PSS";
    case KeyAlgorithm::ec_p256: return "ECDSA P-256";
    case KeyAlgorithm::ec_p384: return "ECDSA P-384";
    case KeyAlgorithm::ec_p521: return "ECDSA P-521";
    case KeyAlgorithm::ec_other: return "ECDSA (other curve)";
    case KeyAlgorithm::ed25519: return "Ed25519";
    case KeyAlgorithm::ed448: return "Ed448";
  }
  return "unknown key type";
}

void GeneralNames::iterator::load() {
  done_ = true;
  if (rest_.empty()) return;
  Reader r(rest_);
  auto e = r.any("GeneralName");
  if (!e) return;
  Element name = *e;
  if (subtrees_) {
    Reader subtree(e->contents);
    auto base = subtree.any("GeneralSubtree");
    if (!base) return;
    name = *base;
  }
  rest_ = rest_.subspan(e->encoding.size());
  current_.type = static_cast<GeneralName::Type>(name.tag & 0x1f);
  current_.value = name.contents;
  done_ = false;
}

bool Certificate::self_issued() const { return std::ranges::equal(issuer, subject); }
std::string Certificate::subject_string() const { return name_to_string(subject); }
std::string Certificate::issuer_string() const { return name_to_string(issuer); }

std::optional<ByteView> Certificate::common_name() const {
  std::optional<ByteView> cn;
  Reader name(subject);
  auto seq = name.sequence("subject");
  if (!seq) return cn;
  while (!seq->empty()) {
    auto rdn = seq->expect(der::kSet, "rdn");
    if (!rdn) break;
    Reader atvs(rdn->contents);
    while (!atvs.empty()) {
      auto atv = atvs.sequence("atv");
      if (!atv) break;
      auto type = atv->any("type");
      auto value = atv->any("value");
      if (type && value && oid::is(type->contents, oid::common_name)) cn = value->contents;
    }
  }
  return cn;
}

std::vector<std::string> Certificate::dns_names() const {
  std::vector<std::string> out;
  for (const GeneralName& n : subject_alt_names)
    if (n.type == GeneralName::Type::dns_name) out.emplace_back(n.text());
  return out;
}

std::vector<std::string> Certificate::ip_addresses() const {
  std::vector<std::string> out;
  for (const GeneralName& n : subject_alt_names)
    if (n.type == GeneralName::Type::ip_address) out.push_back(ip_to_string(n.value));
  return out;
}

Result<PublicKeyInfo> parse_public_key_info(ByteView der) {
  Reader r(der);
  auto spki_el = r.expect(der::kSequence, "subjectPublicKeyInfo");
  if (!spki_el) return fail(std::move(spki_el.error()));
  TLSPP_TRY(r.expect_end("subjectPublicKeyInfo"));
  return read_public_key_info(*spki_el);
}

Result<Certificate> parse_certificate(ByteView der, size_t position) {
  auto c = parse(der);
  if (!c)
    return fail(Error(ErrorKind::bad_certificate, AlertDescription::bad_certificate,
                      "certificate " + std::to_string(position) + " is malformed: " + c.error().message));
  return c;
}

Result<OwnedCertificate> OwnedCertificate::parse(Bytes der, size_t position) {
  OwnedCertificate o;
  o.der_ = std::make_shared<const Bytes>(std::move(der));
  auto c = parse_certificate(*o.der_, position);
  if (!c) return fail(std::move(c.error()));
  o.cert_ = *c;
  return o;
}

std::string name_to_string(ByteView name_der) {
  // RFC 4514 §2.1: RDNs in reverse order of the DER sequence, separated by commas.
  std::vector<ByteView> rdns;
  Reader name(name_der);
  auto seq = name.sequence("name");
  if (!seq) return "(malformed name)";
  while (!seq->empty()) {
    auto rdn = seq->expect(der::kSet, "rdn");
    if (!rdn) return "(malformed name)";
    rdns.push_back(rdn->contents);
  }
  std::string out;
  for (auto it = rdns.rbegin(); it != rdns.rend(); ++it) {
    if (!out.empty()) out += ", ";
    Reader atvs(*it);
    bool first = true;
    while (!atvs.empty()) {
      auto atv = atvs.sequence("atv");
      if (!atv) return "(malformed name)";
      auto type = atv->any("type");
      auto value = atv->any("value");
      if (!type || !value) return "(malformed name)";
      if (!first) out += " + ";
      first = false;
      const std::string dotted = der::oid_to_string(type->contents);
      std::string_view label = dotted;
      for (const AttributeName& a : kAttributeNames)
        if (a.dotted == dotted) label = a.short_name;
      out += label;
      out += '=';
      append_value(out, *value);
    }
  }
  return out;
}

std::string ip_to_string(ByteView a) {
  char buf[64];
  if (a.size() == 4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return buf;
  }
  if (a.size() != 16) return "(bad address)";
  // RFC 5952 §4: lower case, the longest run (>= 2) of zero groups as "::".
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>((a[2 * i] << 8) | a[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) { ++i; continue; }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) { best = i; best_len = j - i; }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[i]);
    out += buf;
  }
  return out;
}

}  // namespace tlspp::pki
