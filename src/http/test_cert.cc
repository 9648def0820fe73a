// TEST-ONLY certificate generator; see test_cert.h.
#include "http/test_cert.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>

namespace coffer::http {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter>;
using CertPtr = std::unique_ptr<X509, Deleter>;

Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Deleter> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Internal("test cert: cannot add extension " + value);
  }
  return Status::Ok();
}

Result<CertPtr> MakeCert(EVP_PKEY* key, const std::string& common_name, long serial, X509* issuer,
                         EVP_PKEY* issuer_key,
                         const std::vector<std::pair<int, std::string>>& extensions) {
  CertPtr cert(X509_new());
  if (!cert) return Internal("test cert: X509_new failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* issuer_cert = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert));
  for (const auto& [nid, value] : extensions) {
    RETURN_IF_ERROR(AddExtension(cert.get(), issuer_cert, nid, value));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) {
    return Internal("test cert: signing failed");
  }
  return cert;
}

std::string CertPem(X509* cert) {
  std::unique_ptr<BIO, Deleter> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string KeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, Deleter> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return IOError("cannot write " + path);
  return Status::Ok();
}

}  // namespace

Result<TestCert> GenerateTestCert(const std::vector<std::string>& dns_names,
                                  const std::vector<std::string>& ip_addresses) {
  KeyPtr ca_key(EVP_EC_gen("P-256"));
  KeyPtr leaf_key(EVP_EC_gen("P-256"));
  if (!ca_key || !leaf_key) return Internal("test cert: key generation failed");

  ASSIGN_OR_RETURN(CertPtr ca, MakeCert(ca_key.get(), "Coffer Test CA", 1, nullptr, ca_key.get(),
                                        {{NID_basic_constraints, "critical,CA:TRUE"},
                                         {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                         {NID_subject_key_identifier, "hash"}}));
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : ip_addresses) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  std::vector<std::pair<int, std::string>> leaf_ext = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
      {NID_ext_key_usage, "serverAuth,clientAuth"},
      {NID_authority_key_identifier, "keyid"},
  };
  if (!san.empty()) leaf_ext.emplace_back(NID_subject_alt_name, san);
  const std::string cn = dns_names.empty() ? "coffer-test" : dns_names.front();
  ASSIGN_OR_RETURN(CertPtr leaf, MakeCert(leaf_key.get(), cn, 2, ca.get(), ca_key.get(), leaf_ext));
  return TestCert{CertPem(ca.get()), CertPem(leaf.get()), KeyPem(leaf_key.get())};
}

Result<TestCertFiles> WriteTestCertFiles(const TestCert& cert, const std::string& dir) {
  TestCertFiles files{dir + "/ca.pem", dir + "/cert.pem", dir + "/key.pem"};
  RETURN_IF_ERROR(WriteFile(files.ca_file, cert.ca_pem));
  RETURN_IF_ERROR(WriteFile(files.cert_file, cert.cert_pem));
  RETURN_IF_ERROR(WriteFile(files.key_file, cert.key_pem));
  return files;
}

}  // namespace coffer::http
