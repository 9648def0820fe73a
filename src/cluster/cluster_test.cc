// The cluster port end to end: certificates minted here, a real mutual-TLS
// gRPC server on loopback, and clients with good, foreign and missing
// certificates.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <mutex>

#include "cluster/certs.h"
#include "cluster/dial.h"
#include "cluster/server.h"
#include "replication.grpc.pb.h"

namespace coffer::cluster {
namespace {

namespace pb = ::coffer::replication::v1;

// MerkleDiff answers a fixed root and records who called.
class FakeReplication final : public pb::Replication::Service {
 public:
  grpc::Status MerkleDiff(grpc::ServerContext* ctx, const pb::MerkleDiffRequest*,
                          pb::MerkleDiffResponse* response) override {
    std::lock_guard lock(mu_);
    ++calls_;
    fingerprint_ = PeerFingerprint(*ctx);
    common_name_ = PeerCommonName(*ctx);
    response->set_root("fixed-root");
    response->set_wal_index(7);
    return grpc::Status::OK;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::string fingerprint() {
    std::lock_guard lock(mu_);
    return fingerprint_;
  }
  std::string common_name() {
    std::lock_guard lock(mu_);
    return common_name_;
  }

 private:
  std::mutex mu_;
  int calls_ = 0;
  std::string fingerprint_;
  std::string common_name_;
};

CertKey Must(Result<CertKey> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : CertKey{};
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

X509Ptr Parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

std::string SerialHex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out(hex);
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::vector<std::string> DnsSans(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_DNS) continue;
    const ASN1_STRING* s = name->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
  }
  GENERAL_NAMES_free(names);
  return out;
}

// One RPC with a short deadline.
grpc::Status CallMerkleDiff(const std::shared_ptr<grpc::Channel>& channel,
                            pb::MerkleDiffResponse* response) {
  auto stub = pb::Replication::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  pb::MerkleDiffRequest request;
  return stub->MerkleDiff(&ctx, request, response);
}

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new CertKey(Must(NewCa("set-a")));
    other_ca_ = new CertKey(Must(NewCa("set-b")));
    server_id_ = new CertKey(Must(IssueCert(*ca_, "primary", CertUsage::kServer)));
    client_ = new CertKey(Must(IssueCert(*ca_, "secondary-1", CertUsage::kClient)));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete other_ca_;
    delete server_id_;
    delete client_;
  }

  void StartServer(const std::string& client_ca_pem, const std::string& address = "127.0.0.1:0") {
    auto started = Server::Start(address, ServerTls{*server_id_, client_ca_pem}, {&service_});
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(*started);
  }

  std::shared_ptr<grpc::Channel> DialServer(const std::string& server_ca, const CertKey& client) {
    auto channel = Dial("https://" + server_->address(), DialTls{server_ca, client});
    EXPECT_TRUE(channel.ok()) << channel.status().ToString();
    return channel.ok() ? *channel : nullptr;
  }

  static CertKey* ca_;
  static CertKey* other_ca_;
  static CertKey* server_id_;
  static CertKey* client_;
  FakeReplication service_;
  std::unique_ptr<Server> server_;
};

CertKey* ClusterTest::ca_ = nullptr;
CertKey* ClusterTest::other_ca_ = nullptr;
CertKey* ClusterTest::server_id_ = nullptr;
CertKey* ClusterTest::client_ = nullptr;

TEST_F(ClusterTest, ClientOfTheAcceptedCaIsServedAndIdentified) {
  StartServer(ca_->cert_pem);
  EXPECT_GT(server_->port(), 0);
  EXPECT_EQ(server_->address(), "127.0.0.1:" + std::to_string(server_->port()));
  pb::MerkleDiffResponse response;
  grpc::Status st = CallMerkleDiff(DialServer(ca_->cert_pem, *client_), &response);
  ASSERT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
  EXPECT_EQ(response.root(), "fixed-root");
  EXPECT_EQ(response.wal_index(), 7u);
  EXPECT_EQ(service_.calls(), 1);
  auto fingerprint = CertFingerprint(client_->cert_pem);
  ASSERT_TRUE(fingerprint.ok());
  EXPECT_EQ(service_.fingerprint(), *fingerprint);
  EXPECT_EQ(service_.common_name(), "secondary-1");
}

TEST_F(ClusterTest, ClientOfAnotherCaIsRefused) {
  StartServer(ca_->cert_pem);
  CertKey foreign = Must(IssueCert(*other_ca_, "intruder", CertUsage::kClient));
  pb::MerkleDiffResponse response;
  grpc::Status st = CallMerkleDiff(DialServer(ca_->cert_pem, foreign), &response);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(ClusterTest, ClientWithoutCertificateIsRefused) {
  StartServer(ca_->cert_pem);
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_->cert_pem;  // verifies the server, presents nothing
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(kClusterServerName);
  auto channel =
      grpc::CreateCustomChannel(server_->address(), grpc::SslCredentials(options), args);
  pb::MerkleDiffResponse response;
  grpc::Status st = CallMerkleDiff(channel, &response);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(ClusterTest, ClientVerifyingAgainstTheWrongServerCaRefusesTheServer) {
  StartServer(ca_->cert_pem);
  pb::MerkleDiffResponse response;
  grpc::Status st = CallMerkleDiff(DialServer(other_ca_->cert_pem, *client_), &response);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(ClusterTest, ServerCertWithoutTheClusterNameIsRefused) {
  // A client cert of the right CA used as a server identity lacks the SAN
  // coffer-cluster (and serverAuth): clients must not accept it.
  auto started = Server::Start("127.0.0.1:0", ServerTls{*client_, ca_->cert_pem}, {&service_});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  server_ = std::move(*started);
  pb::MerkleDiffResponse response;
  grpc::Status st = CallMerkleDiff(DialServer(ca_->cert_pem, *client_), &response);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(ClusterTest, EveryCaOfTheBundleIsAccepted) {
  StartServer(ca_->cert_pem + other_ca_->cert_pem);
  CertKey second = Must(IssueCert(*other_ca_, "secondary-2", CertUsage::kClient));
  pb::MerkleDiffResponse response;
  ASSERT_TRUE(CallMerkleDiff(DialServer(ca_->cert_pem, *client_), &response).ok());
  EXPECT_EQ(service_.common_name(), "secondary-1");
  ASSERT_TRUE(CallMerkleDiff(DialServer(ca_->cert_pem, second), &response).ok());
  EXPECT_EQ(service_.common_name(), "secondary-2");
  EXPECT_EQ(service_.fingerprint(), *CertFingerprint(second.cert_pem));
  EXPECT_EQ(service_.calls(), 2);
}

TEST_F(ClusterTest, ShutdownReleasesThePortAndABusyPortIsUnavailable) {
  StartServer(ca_->cert_pem);
  const int port = server_->port();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  FakeReplication other;
  auto clash = Server::Start(address, ServerTls{*server_id_, ca_->cert_pem}, {&other});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), Code::kUnavailable);
  EXPECT_NE(clash.status().message().find(address), std::string::npos);

  server_->Shutdown(std::chrono::milliseconds(0));
  server_->Shutdown(std::chrono::milliseconds(0));  // idempotent
  server_.reset();
  StartServer(ca_->cert_pem, address);
  EXPECT_EQ(server_->port(), port);
  pb::MerkleDiffResponse response;
  EXPECT_TRUE(CallMerkleDiff(DialServer(ca_->cert_pem, *client_), &response).ok());
}

TEST_F(ClusterTest, EmptyHostListensOnEveryInterface) {
  StartServer(ca_->cert_pem, ":0");  // as a config's cluster_address = ":8201"
  EXPECT_GT(server_->port(), 0);
  EXPECT_EQ(server_->address(), "0.0.0.0:" + std::to_string(server_->port()));
  auto channel =
      Dial("127.0.0.1:" + std::to_string(server_->port()), DialTls{ca_->cert_pem, *client_});
  ASSERT_TRUE(channel.ok());
  pb::MerkleDiffResponse response;
  EXPECT_TRUE(CallMerkleDiff(*channel, &response).ok());
}

TEST_F(ClusterTest, StartRejectsBadCertificatesAndAddresses) {
  auto bad_ca = Server::Start("127.0.0.1:0", ServerTls{*server_id_, "not pem"}, {&service_});
  EXPECT_EQ(bad_ca.status().code(), Code::kInvalidArgument);
  CertKey mismatched{server_id_->cert_pem, client_->key_pem};
  auto bad_id = Server::Start("127.0.0.1:0", ServerTls{mismatched, ca_->cert_pem}, {&service_});
  EXPECT_EQ(bad_id.status().code(), Code::kInvalidArgument);
  auto bad_addr = Server::Start("127.0.0.1", ServerTls{*server_id_, ca_->cert_pem}, {&service_});
  EXPECT_EQ(bad_addr.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(Dial("127.0.0.1:8201", DialTls{"", *client_}).ok());
  EXPECT_FALSE(Dial("127.0.0.1:8201", DialTls{ca_->cert_pem, mismatched}).ok());
}

std::string Target(std::string_view addr) {
  auto target = GrpcTarget(addr);
  EXPECT_TRUE(target.ok()) << addr << ": " << target.status().ToString();
  return target.ok() ? *target : "";
}

TEST(GrpcTarget, Parses) {
  EXPECT_EQ(Target("https://host:8201"), "host:8201");
  EXPECT_EQ(Target("https://host.example.com:8201/"), "host.example.com:8201");
  EXPECT_EQ(Target("host:8201"), "host:8201");
  EXPECT_EQ(Target("127.0.0.1:8201"), "127.0.0.1:8201");
  EXPECT_EQ(Target("[::1]:8201"), "[::1]:8201");
  EXPECT_EQ(Target("https://[fe80::1%eth0]:8201"), "[fe80::1%eth0]:8201");
  for (const char* bad : {"", "host", "https://host", "host:", "host:0", "host:65536",
                          "host:12ab", ":8201", "::1:8201", "[::1]", "[::1]8201", "[]:8201",
                          "ftp://host:8201", "ho st:8201", "host:8201:1", "https://"}) {
    auto target = GrpcTarget(bad);
    EXPECT_FALSE(target.ok()) << bad << " -> " << (target.ok() ? *target : "");
    if (!target.ok()) {
      EXPECT_EQ(target.status().code(), Code::kInvalidArgument) << bad;
    }
  }
}

TEST(Certs, CaFields) {
  CertKey ca = Must(NewCa("set-a"));
  X509Ptr cert = Parse(ca.cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN);
  EXPECT_EQ(*CertCommonName(ca.cert_pem), "set-a");
  EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_OK);  // self-signed
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  char group[64] = {0};
  size_t group_len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof(group), &group_len), 1);
  EXPECT_STREQ(group, "prime256v1");
  // About ten years.
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                           X509_get0_notAfter(cert.get())),
            1);
  EXPECT_GE(days, 3649);
  EXPECT_LE(days, 3651);
  EXPECT_NE(ca.key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST(Certs, LeafFields) {
  CertKey ca = Must(NewCa("set-a"));
  CertKey server = Must(IssueCert(ca, "primary", CertUsage::kServer));
  CertKey client = Must(IssueCert(ca, "secondary", CertUsage::kClient));
  CertKey client2 = Must(IssueCert(ca, "secondary", CertUsage::kClient, 30));
  X509Ptr ca_cert = Parse(ca.cert_pem);
  X509Ptr s = Parse(server.cert_pem);
  X509Ptr c = Parse(client.cert_pem);
  X509Ptr c2 = Parse(client2.cert_pem);
  ASSERT_TRUE(ca_cert && s && c && c2);

  for (X509* leaf : {s.get(), c.get(), c2.get()}) {
    EXPECT_EQ(X509_check_ca(leaf), 0);
    EXPECT_EQ(X509_check_issued(ca_cert.get(), leaf), X509_V_OK);
    EXPECT_EQ(X509_verify(leaf, X509_get0_pubkey(ca_cert.get())), 1);
    // A 128-bit serial: 16 bytes, top bit clear so it stays positive.
    EXPECT_EQ(ASN1_STRING_length(X509_get_serialNumber(leaf)), 16);
  }
  EXPECT_EQ(X509_get_extended_key_usage(s.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_get_extended_key_usage(c.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(DnsSans(s.get()), std::vector<std::string>{kClusterServerName});
  EXPECT_TRUE(DnsSans(c.get()).empty());
  EXPECT_EQ(X509_check_host(s.get(), kClusterServerName, 0, 0, nullptr), 1);
  EXPECT_EQ(*CertCommonName(server.cert_pem), "primary");
  EXPECT_EQ(*CertCommonName(client.cert_pem), "secondary");

  // Distinct serials, keys and fingerprints even for the same CN.
  EXPECT_NE(SerialHex(c.get()), SerialHex(c2.get()));
  EXPECT_NE(SerialHex(s.get()), SerialHex(c.get()));
  EXPECT_NE(client.key_pem, client2.key_pem);
  auto f1 = CertFingerprint(client.cert_pem);
  auto f2 = CertFingerprint(client2.cert_pem);
  ASSERT_TRUE(f1.ok() && f2.ok());
  EXPECT_NE(*f1, *f2);
  EXPECT_EQ(f1->size(), 64u);
  EXPECT_EQ(f1->find_first_not_of("0123456789abcdef"), std::string::npos);

  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(c2.get()),
                           X509_get0_notAfter(c2.get())),
            1);
  EXPECT_EQ(days, 30);  // 30 days from now, backdated one hour: 30 d 1 h
}

TEST(Certs, BadInputIsAnErrorNotACrash) {
  CertKey ca = Must(NewCa("set-a"));
  CertKey other = Must(NewCa("set-b"));
  CertKey leaf = Must(IssueCert(ca, "leaf", CertUsage::kClient));
  EXPECT_EQ(IssueCert(CertKey{ca.cert_pem, other.key_pem}, "x", CertUsage::kClient).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(IssueCert(leaf, "x", CertUsage::kClient).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(IssueCert(CertKey{"junk", "junk"}, "x", CertUsage::kServer).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(IssueCert(ca, "", CertUsage::kServer).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(IssueCert(ca, "x", CertUsage::kServer, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(NewCa("").status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(CertFingerprint("").ok());
  EXPECT_FALSE(CertCommonName("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
  // No error message carries key material.
  auto st = IssueCert(CertKey{ca.cert_pem, other.key_pem}, "x", CertUsage::kClient).status();
  EXPECT_EQ(st.message().find("PRIVATE"), std::string::npos);
}

}  // namespace
}  // namespace coffer::cluster
