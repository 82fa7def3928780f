// libFuzzer target: arbitrary bytes into the X.509 parser, then every accessor that walks
// the parsed views (names, subjectAltNames, name constraints, host name matching).
// Seeds: fuzz/corpus/x509/ (real and generated certificates).
#include <cstddef>
#include <cstdint>
#include <string>

#include "pki/certificate.h"
#include "pki/der.h"
#include "pki/hostname.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tlspp;
  auto cert = pki::parse_certificate(ByteView(data, size));
  if (!cert) return 0;
  size_t sink = cert->subject_string().size() + cert->issuer_string().size();
  sink += cert->dns_names().size() + cert->ip_addresses().size();
  for (const pki::GeneralName& n : cert->permitted_subtrees) sink += n.value.size();
  for (const pki::GeneralName& n : cert->excluded_subtrees) sink += n.value.size();
  if (auto cn = cert->common_name()) sink += cn->size();
  sink += pki::der::format_time(cert->not_before).size() + pki::der::format_time(cert->not_after).size();
  sink += pki::der::oid_to_string(cert->signature_algorithm_oid).size();
  (void)pki::check_host_name(*cert, "www.example.com");
  (void)pki::check_host_name(*cert, "192.0.2.1");
  // Parsing is deterministic and a view: a second parse of the same bytes must agree.
  auto again = pki::parse_certificate(cert->der);
  if (!again || again->tbs.data() != cert->tbs.data() || again->not_after != cert->not_after) __builtin_trap();
  return sink == SIZE_MAX ? 1 : 0;
}
