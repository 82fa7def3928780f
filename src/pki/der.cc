#include "pki/der.h"

#include <cstdio>

namespace tlspp::pki::der {

namespace {

Error malformed(std::string_view what, std::string_view problem) {
  std::string m(what);
  m += ' ';
  m += problem;
  return Error::decode(std::move(m));
}

std::string hex_byte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

constexpr bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t year, unsigned month) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

}  // namespace

Result<Element> Reader::any(std::string_view what) {
  const size_t avail = data_.size() - pos_;
  if (avail < 2) return fail(malformed(what, "is truncated"));
  const uint8_t tag = data_[pos_];
  // X.690 §8.1.2.4: tag numbers >= 31 use further bytes; nothing in RFC 5280 needs them.
  if ((tag & 0x1f) == 0x1f) return fail(malformed(what, "uses a multi-byte tag, which X.509 never needs"));
  const uint8_t first = data_[pos_ + 1];
  size_t header = 2;
  size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else if (first == 0x80) {
    // X.690 §10.1: DER always uses the definite form.
    return fail(malformed(what, "uses the indefinite length form, which DER forbids"));
  } else {
    const size_t n = first & 0x7f;
    // Four length bytes (4 GiB) exceed any certificate; more is certainly garbage.
    if (n > 4) return fail(malformed(what, "has a length field of " + std::to_string(n) + " bytes"));
    if (avail < 2 + n) return fail(malformed(what, "is truncated"));
    if (data_[pos_ + 2] == 0)
      return fail(malformed(what, "has a length with leading zero bytes, which DER forbids"));
    for (size_t i = 0; i < n; ++i) len = (len << 8) | data_[pos_ + 2 + i];
    // X.690 §10.1: the long form only for lengths the short form cannot express.
    if (len < 0x80) return fail(malformed(what, "has a long-form length below 128, which DER forbids"));
    header = 2 + n;
  }
  if (len > avail - header) return fail(malformed(what, "is truncated"));
  Element e;
  e.tag = tag;
  e.contents = data_.subspan(pos_ + header, len);
  e.encoding = data_.subspan(pos_, header + len);
  pos_ += header + len;
  return e;
}

Result<Element> Reader::expect(uint8_t tag, std::string_view what) {
  if (empty()) return fail(malformed(what, "is missing"));
  if (data_[pos_] != tag)
    return fail(malformed(what, "has tag " + hex_byte(data_[pos_]) + ", expected " + hex_byte(tag)));
  return any(what);
}

Result<std::optional<Element>> Reader::optional(uint8_t tag, std::string_view what) {
  if (empty() || data_[pos_] != tag) return std::optional<Element>{};
  auto e = any(what);
  if (!e) return fail(std::move(e.error()));
  return std::optional<Element>{*e};
}

Result<Reader> Reader::sequence(std::string_view what) {
  auto e = expect(kSequence, what);
  if (!e) return fail(std::move(e.error()));
  return Reader(e->contents);
}

Status Reader::expect_end(std::string_view what) const {
  if (!empty()) return fail(malformed(what, "is followed by " + std::to_string(data_.size() - pos_) + " unexpected bytes"));
  return {};
}

Result<bool> boolean(const Element& e, std::string_view what) {
  if (e.tag != kBoolean) return fail(malformed(what, "is not a BOOLEAN"));
  if (e.contents.size() != 1) return fail(malformed(what, "is a BOOLEAN of the wrong length"));
  // X.690 §11.1: TRUE is encoded as 0xFF in DER.
  if (e.contents[0] == 0x00) return false;
  if (e.contents[0] == 0xff) return true;
  return fail(malformed(what, "is a BOOLEAN that is neither 0x00 nor 0xFF"));
}

Result<ByteView> integer(const Element& e, std::string_view what) {
  if (e.tag != kInteger) return fail(malformed(what, "is not an INTEGER"));
  const ByteView c = e.contents;
  if (c.empty()) return fail(malformed(what, "is an empty INTEGER"));
  // X.690 §8.3.2: the first nine bits must not be all zero or all one.
  if (c.size() > 1 && ((c[0] == 0x00 && !(c[1] & 0x80)) || (c[0] == 0xff && (c[1] & 0x80))))
    return fail(malformed(what, "is an INTEGER that is not minimally encoded"));
  return c;
}

Result<uint32_t> small_uint(const Element& e, std::string_view what) {
  auto c = integer(e, what);
  if (!c) return fail(std::move(c.error()));
  ByteView v = *c;
  if (v[0] & 0x80) return fail(malformed(what, "is negative"));
  if (v[0] == 0) v = v.subspan(1);
  if (v.size() > 4) return fail(malformed(what, "is too large"));
  uint32_t r = 0;
  for (uint8_t b : v) r = (r << 8) | b;
  return r;
}

Result<BitString> bit_string(const Element& e, std::string_view what) {
  if (e.tag != kBitString) return fail(malformed(what, "is not a BIT STRING"));
  const ByteView c = e.contents;
  if (c.empty()) return fail(malformed(what, "is an empty BIT STRING"));
  const uint8_t unused = c[0];
  if (unused > 7) return fail(malformed(what, "claims more than 7 unused bits"));
  if (c.size() == 1 && unused != 0) return fail(malformed(what, "has unused bits but no bits"));
  // X.690 §11.2.1: padding bits are zero in DER.
  if (unused != 0 && (c.back() & ((1u << unused) - 1)) != 0)
    return fail(malformed(what, "has non-zero padding bits"));
  return BitString{c.subspan(1), unused};
}

Result<ByteView> octet_aligned_bits(const Element& e, std::string_view what) {
  auto b = bit_string(e, what);
  if (!b) return fail(std::move(b.error()));
  if (b->unused_bits != 0) return fail(malformed(what, "is not a whole number of bytes"));
  return b->bytes;
}

Result<ByteView> oid(const Element& e, std::string_view what) {
  if (e.tag != kOid) return fail(malformed(what, "is not an OBJECT IDENTIFIER"));
  const ByteView c = e.contents;
  if (c.empty()) return fail(malformed(what, "is an empty OBJECT IDENTIFIER"));
  // X.690 §8.19.2: each sub-identifier is base 128, minimal (no leading 0x80 byte), and
  // the last byte of the encoding ends a sub-identifier.
  bool at_start = true;
  for (uint8_t b : c) {
    if (at_start && b == 0x80) return fail(malformed(what, "is an OBJECT IDENTIFIER with a padded sub-identifier"));
    at_start = !(b & 0x80);
  }
  if (!at_start) return fail(malformed(what, "is an OBJECT IDENTIFIER cut inside a sub-identifier"));
  return c;
}

int64_t civil_to_epoch(int64_t year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                       unsigned second) {
  // Days since 1970-01-01 counting in 400-year eras of 146097 days whose years begin in
  // March, so that the leap day falls at the end of each year.
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;
  const int64_t shifted_month = month > 2 ? month - 3 : month + 9;
  const int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  const int64_t days = era * 146097 + day_of_era - 719468;
  return days * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second;
}

std::string format_time(int64_t t) {
  int64_t days = t / 86400;
  int64_t secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  // Inverse of civil_to_epoch.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;
  const int64_t day = day_of_year - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld UTC",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

Result<int64_t> time(const Element& e, std::string_view what) {
  const ByteView c = e.contents;
  size_t year_digits = 0;
  if (e.tag == kUtcTime) {
    year_digits = 2;
  } else if (e.tag == kGeneralizedTime) {
    year_digits = 4;
  } else {
    return fail(malformed(what, "is neither UTCTime nor GeneralizedTime"));
  }
  // RFC 5280 §4.1.2.5.1/§4.1.2.5.2: YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ exactly.
  if (c.size() != year_digits + 11 || c.back() != 'Z')
    return fail(malformed(what, "is not in the form RFC 5280 requires (seconds, 'Z', no fractions)"));
  unsigned v[7] = {};
  size_t pos = 0;
  for (size_t field = 0; field < 6; ++field) {
    const size_t width = field == 0 ? year_digits : 2;
    unsigned n = 0;
    for (size_t i = 0; i < width; ++i, ++pos) {
      const uint8_t d = c[pos];
      if (d < '0' || d > '9') return fail(malformed(what, "contains a non-digit"));
      n = n * 10 + (d - '0');
    }
    v[field] = n;
  }
  int64_t year = v[0];
  // RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY, otherwise 20YY.
  if (year_digits == 2) year += year >= 50 ? 1900 : 2000;
  const unsigned month = v[1], day = v[2], hour = v[3], minute = v[4], second = v[5];
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 59)
    return fail(malformed(what, "is not a valid date and time"));
  return civil_to_epoch(year, month, day, hour, minute, second);
}

std::string oid_to_string(ByteView c) {
  std::string out;
  uint64_t value = 0;
  bool first = true;
  bool overflow = false;
  for (uint8_t b : c) {
    if (value > (UINT64_MAX >> 7)) overflow = true;
    value = (value << 7) | (b & 0x7f);
    if (b & 0x80) continue;
    if (overflow) {
      out += first ? "?" : ".?";
    } else if (first) {
      // X.690 §8.19.4: the first sub-identifier packs the first two arcs.
      const uint64_t arc0 = value < 40 ? 0 : value < 80 ? 1 : 2;
      out += std::to_string(arc0) + "." + std::to_string(value - arc0 * 40);
    } else {
      out += "." + std::to_string(value);
    }
    first = false;
    value = 0;
    overflow = false;
  }
  return out.empty() ? "?" : out;
}

}  // namespace tlspp::pki::der
