// TEST-ONLY: generates a throwaway CA and a server certificate signed by it,
// in-process with OpenSSL, so TLS tests need no fixture files. Not for
// production use: keys are P-256, valid for one day, and written unencrypted.
//
//   ASSIGN_OR_RETURN(TestCert cert, GenerateTestCert());
//   ASSIGN_OR_RETURN(TestCertFiles files, WriteTestCertFiles(cert, dir));
//   opts.tls_cert_file = files.cert_file; opts.tls_key_file = files.key_file;
//   client_opts.ca_cert_file = files.ca_file;
//
// Thread-safety: pure functions (OpenSSL 3 is thread-safe).
#pragma once

#include <string>
#include <vector>

#include "coffer/status.h"

namespace coffer::http {

struct TestCert {
  std::string ca_pem;    // self-signed CA certificate
  std::string cert_pem;  // leaf certificate signed by the CA
  std::string key_pem;   // the leaf's private key (PKCS#8 PEM)
};

// The leaf carries the given DNS names and IP addresses as subjectAltNames.
Result<TestCert> GenerateTestCert(const std::vector<std::string>& dns_names = {"localhost"},
                                  const std::vector<std::string>& ip_addresses = {"127.0.0.1"});

struct TestCertFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// Writes ca.pem, cert.pem and key.pem into `dir` (which must exist).
Result<TestCertFiles> WriteTestCertFiles(const TestCert& cert, const std::string& dir);

}  // namespace coffer::http
