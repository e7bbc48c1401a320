// DANE for SMTP (RFC 7672): TLSA records (RFC 6698) and whether a server's certificate chain
// matches them. Pure: certificates in, verdict out (OpenSSL parses and hashes; no I/O).
//
// RFC 7672 3.1: only DANE-TA(2) and DANE-EE(3) are used for SMTP; PKIX-TA(0)/PKIX-EE(1) records
// are "unusable", as are unknown selectors and matching types. If every record of the RRset is
// unusable, the server is treated as if it had no TLSA records (RFC 7672 2.2): opportunistic TLS.
//  - DANE-EE(3): the leaf certificate (or its public key) matches; names and validity dates
//    are not checked (RFC 7672 3.1.1).
//  - DANE-TA(2): a certificate of the chain the server sent (or its public key) matches; the
//    leaf must chain to it with valid signatures and carry one of the reference names
//    (RFC 7672 3.1.2, 3.2.2).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::queue {

struct TlsaRecord {
  uint8_t usage = 0;     // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
  uint8_t selector = 0;  // 0 full certificate, 1 SubjectPublicKeyInfo
  uint8_t matching = 0;  // 0 exact, 1 SHA-256, 2 SHA-512
  std::string data;      // binary association data
  bool operator==(const TlsaRecord&) const = default;
};

// RFC 7672 3.1: DANE-TA/DANE-EE, selector 0/1, matching 0/1/2 (and non-empty data).
bool tlsa_usable(const TlsaRecord& r);
std::vector<TlsaRecord> usable_tlsa(const std::vector<TlsaRecord>& records);

struct DaneVerdict {
  bool matched = false;
  std::string detail;  // "DANE-EE(3) SPKI SHA-256 matched", or why nothing matched
};

// chain_der: the server's certificates in the order it sent them, leaf first (DER).
// names: reference identifiers for DANE-TA (the MX host name; RFC 7672 3.2.2).
DaneVerdict match_tlsa(const std::vector<TlsaRecord>& records, const std::vector<std::string>& chain_der,
                       const std::vector<std::string>& names);

// The association data a record with this selector and matching type would carry for a
// certificate (DER). Empty when the certificate cannot be parsed. Exposed for tests and logs.
std::string tlsa_association(const std::string& cert_der, uint8_t selector, uint8_t matching);

}  // namespace kurier::queue
