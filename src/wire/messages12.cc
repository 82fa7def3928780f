#include "wire/messages12.h"

#include <string>

#include "wire/lists.h"

namespace tlspp::wire {

Result<Certificate12> Certificate12::decode(ByteView body) {
  Reader r(body);
  auto list = r.vec24("Certificate certificate_list");
  if (!list) return fail(list.error());
  TLSPP_TRY(r.expect_end("Certificate"));
  Reader lr(*list);
  Certificate12 out;
  while (!lr.empty()) {
    auto cert = lr.vec24("Certificate ASN.1Cert", 1, 0xffffff);
    if (!cert) return fail(cert.error());
    out.certificate_list.push_back(*cert);
  }
  return out;
}

void Certificate12::encode(Writer& w) const {
  const auto mark = w.open(3);
  for (ByteView cert : certificate_list) w.vec24(cert);
  w.close(mark);
}

void ServerKeyExchangeEcdhe::encode_params(Writer& w) const {
  w.u8(kNamedCurve);
  w.u16(static_cast<uint16_t>(named_curve));
  w.vec8(public_key);
}

Result<ServerKeyExchangeEcdhe> ServerKeyExchangeEcdhe::decode(ByteView body) {
  Reader r(body);
  auto curve_type = r.u8("ServerKeyExchange curve_type");
  if (!curve_type) return fail(curve_type.error());
  if (*curve_type != kNamedCurve)
    return fail(Error::illegal("ServerKeyExchange curve_type is " + std::to_string(*curve_type) +
                               "; only named_curve(3) is allowed"));
  ServerKeyExchangeEcdhe out;
  auto curve = r.u16("ServerKeyExchange named_curve");
  if (!curve) return fail(curve.error());
  out.named_curve = static_cast<NamedGroup>(*curve);
  auto point = r.vec8("ServerKeyExchange public", 1, 0xff);
  if (!point) return fail(point.error());
  out.public_key = *point;
  auto alg = r.u16("ServerKeyExchange signature algorithm");
  if (!alg) return fail(alg.error());
  out.algorithm = static_cast<SignatureScheme>(*alg);
  auto sig = r.vec16("ServerKeyExchange signature");
  if (!sig) return fail(sig.error());
  out.signature = *sig;
  TLSPP_TRY(r.expect_end("ServerKeyExchange"));
  return out;
}

void ServerKeyExchangeEcdhe::encode(Writer& w) const {
  encode_params(w);
  w.u16(static_cast<uint16_t>(algorithm));
  w.vec16(signature);
}

Result<ServerHelloDone> ServerHelloDone::decode(ByteView body) {
  Reader r(body);
  TLSPP_TRY(r.expect_end("ServerHelloDone (its body is empty)"));
  return ServerHelloDone{};
}

Result<CertificateRequest12> CertificateRequest12::decode(ByteView body) {
  Reader r(body);
  CertificateRequest12 out;
  auto types = r.vec8("CertificateRequest certificate_types", 1, 0xff);
  if (!types) return fail(types.error());
  out.certificate_types = *types;
  auto algs = detail::read_u16_list<SignatureScheme>(r, "CertificateRequest supported_signature_algorithms", 2, 2,
                                                     0xfffe);
  if (!algs) return fail(algs.error());
  out.supported_signature_algorithms = std::move(*algs);
  auto cas = detail::read_opaque_list(r, "CertificateRequest certificate_authorities", 2, 0, 0xffff, 2, 1, 0xffff);
  if (!cas) return fail(cas.error());
  out.certificate_authorities = std::move(*cas);
  TLSPP_TRY(r.expect_end("CertificateRequest"));
  return out;
}

void CertificateRequest12::encode(Writer& w) const {
  w.vec8(certificate_types);
  detail::write_u16_list<SignatureScheme>(w, supported_signature_algorithms, 2);
  detail::write_opaque_list(w, certificate_authorities, 2, 2);
}

Result<ClientKeyExchangeEcdhe> ClientKeyExchangeEcdhe::decode(ByteView body) {
  Reader r(body);
  auto point = r.vec8("ClientKeyExchange ecdh_Yc", 1, 0xff);
  if (!point) return fail(point.error());
  TLSPP_TRY(r.expect_end("ClientKeyExchange"));
  return ClientKeyExchangeEcdhe{*point};
}

Result<NewSessionTicket12> NewSessionTicket12::decode(ByteView body) {
  Reader r(body);
  auto hint = r.u32("NewSessionTicket ticket_lifetime_hint");
  if (!hint) return fail(hint.error());
  auto ticket = r.vec16("NewSessionTicket ticket");
  if (!ticket) return fail(ticket.error());
  TLSPP_TRY(r.expect_end("NewSessionTicket"));
  return NewSessionTicket12{*hint, *ticket};
}

void NewSessionTicket12::encode(Writer& w) const {
  w.u32(ticket_lifetime_hint);
  w.vec16(ticket);
}

}  // namespace tlspp::wire
