#include "cluster/certs.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "crypto/encoding.h"
#include "crypto/random.h"

namespace coffer::cluster {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, ExtFree>;

constexpr int kCaDays = 3650;
constexpr long kBackdateSeconds = 3600;  // tolerate clock skew between nodes

BioPtr ReadBio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

Result<X509Ptr> ParseCert(std::string_view pem, std::string_view what) {
  BioPtr bio = ReadBio(pem);
  if (!bio) return Internal("out of memory reading a certificate");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return InvalidArgument(std::string(what) + ": not a PEM certificate");
  }
  return cert;
}

Result<PkeyPtr> ParseKey(std::string_view pem, std::string_view what) {
  BioPtr bio = ReadBio(pem);
  if (!bio) return Internal("out of memory reading a key");
  // A null passphrase callback with an empty user string: an encrypted key
  // fails instead of prompting on the terminal.
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  if (!key) {
    ERR_clear_error();
    return InvalidArgument(std::string(what) + ": not a PEM private key");
  }
  return key;
}

Result<PkeyPtr> NewP256Key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Internal("EC P-256 key generation failed");
  return key;
}

// PKCS#8 PEM through a secure-heap BIO, which OpenSSL cleanses when freed.
Result<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) return Internal("out of memory writing a key");
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Internal("cannot encode a private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return Internal("cannot encode a private key");
  return std::string(data, static_cast<size_t>(len));
}

Result<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return Internal("out of memory writing a certificate");
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return Internal("cannot encode a certificate");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return Internal("cannot encode a certificate");
  return std::string(data, static_cast<size_t>(len));
}

// A positive, non-zero 128-bit serial (RFC 5280 allows up to 20 octets).
Status SetRandomSerial(X509* cert) {
  ASSIGN_OR_RETURN(std::string bytes, crypto::RandomBytes(16));
  bytes[0] = static_cast<char>((static_cast<unsigned char>(bytes[0]) & 0x7f) | 0x40);
  BnPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                     static_cast<int>(bytes.size()), nullptr));
  if (!bn) return Internal("out of memory building a serial");
  if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return Internal("cannot set a certificate serial");
  }
  return Status::Ok();
}

Status SetCommonName(X509_NAME* name, std::string_view common_name) {
  if (common_name.empty() || common_name.size() > 64) {
    return InvalidArgument("certificate common name must be 1 to 64 characters");
  }
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return InvalidArgument("invalid certificate common name");
  }
  return Status::Ok();
}

Status AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Internal(std::string("cannot add certificate extension ") + OBJ_nid2sn(nid));
  }
  return Status::Ok();
}

// Fields every certificate here shares: v3, serial, validity, subject, key.
Result<X509Ptr> NewCert(std::string_view common_name, EVP_PKEY* key, int days) {
  X509Ptr cert(X509_new());
  if (!cert) return Internal("out of memory building a certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return Internal("X509_set_version");
  RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr) == nullptr) {
    return Internal("cannot set certificate validity");
  }
  RETURN_IF_ERROR(SetCommonName(X509_get_subject_name(cert.get()), common_name));
  if (X509_set_pubkey(cert.get(), key) != 1) return Internal("X509_set_pubkey");
  return cert;
}

Result<CertKey> SignAndEncode(X509* cert, EVP_PKEY* signer, EVP_PKEY* key) {
  if (X509_sign(cert, signer, EVP_sha256()) <= 0) return Internal("cannot sign a certificate");
  CertKey out;
  ASSIGN_OR_RETURN(out.cert_pem, CertPem(cert));
  ASSIGN_OR_RETURN(out.key_pem, KeyPem(key));
  return out;
}

}  // namespace

Result<CertKey> NewCa(std::string_view common_name) {
  ASSIGN_OR_RETURN(PkeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert, NewCert(common_name, key.get(), kCaDays));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return Internal("X509_set_issuer_name");
  }
  RETURN_IF_ERROR(AddExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  RETURN_IF_ERROR(AddExt(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  return SignAndEncode(cert.get(), key.get(), key.get());
}

Result<CertKey> IssueCert(const CertKey& ca, std::string_view common_name, CertUsage usage,
                          int days) {
  if (days <= 0) return InvalidArgument("certificate lifetime must be at least one day");
  ASSIGN_OR_RETURN(X509Ptr ca_cert, ParseCert(ca.cert_pem, "CA certificate"));
  ASSIGN_OR_RETURN(PkeyPtr ca_key, ParseKey(ca.key_pem, "CA key"));
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    return InvalidArgument("CA key does not match the CA certificate");
  }
  if (X509_check_ca(ca_cert.get()) == 0) return InvalidArgument("the certificate is not a CA");

  ASSIGN_OR_RETURN(PkeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert, NewCert(common_name, key.get(), days));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) != 1) {
    return Internal("X509_set_issuer_name");
  }
  RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature"));
  RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always"));
  if (usage == CertUsage::kServer) {
    RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth"));
    const std::string san = std::string("DNS:") + kClusterServerName;
    RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_subject_alt_name, san.c_str()));
  } else {
    RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_ext_key_usage, "clientAuth"));
  }
  return SignAndEncode(cert.get(), ca_key.get(), key.get());
}

Result<std::string> CertFingerprint(std::string_view cert_pem) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCert(cert_pem, "certificate"));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &len) != 1) {
    return Internal("cannot hash a certificate");
  }
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

Result<std::string> CertCommonName(std::string_view cert_pem) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCert(cert_pem, "certificate"));
  X509_NAME* name = X509_get_subject_name(cert.get());
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return std::string();
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return InvalidArgument("certificate common name is not valid text");
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

Status CheckCertBundle(std::string_view pem, std::string_view what) {
  BioPtr bio = ReadBio(pem);
  if (!bio) return Internal("out of memory reading certificates");
  int count = 0;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    ++count;
  }
  // The loop ends at the first block that is not a certificate: fine when it
  // is the end of the input, an error otherwise.
  unsigned long err = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (count == 0) return InvalidArgument(std::string(what) + ": no PEM certificate");
  if (!clean_end && err != 0) {
    return InvalidArgument(std::string(what) + ": unparsable PEM after certificate " +
                           std::to_string(count));
  }
  return Status::Ok();
}

Status CheckCertKey(const CertKey& pair, std::string_view what) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCert(pair.cert_pem, std::string(what) + " certificate"));
  ASSIGN_OR_RETURN(PkeyPtr key, ParseKey(pair.key_pem, std::string(what) + " key"));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument(std::string(what) + ": key does not match the certificate");
  }
  return Status::Ok();
}

}  // namespace coffer::cluster
