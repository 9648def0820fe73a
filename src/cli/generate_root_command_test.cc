#include <gtest/gtest.h>

#include "cli/commands.h"
#include "cli/fake_server_for_test.h"
#include "cli/root_token_otp.h"

namespace coffer::cli {
namespace {

using testing::FakeServer;

Json Attempt(bool started, int progress, const std::string& nonce) {
  return Json{{"started", started},    {"nonce", nonce},      {"progress", progress},
              {"required", 3},         {"encoded_token", ""}, {"encoded_root_token", ""},
              {"pgp_fingerprint", ""}, {"otp_length", 28},    {"complete", false}};
}

TEST(GenerateRootTest, InitPrintsNonceAndOtp) {
  FakeServer s;
  Json reply = Attempt(true, 0, "nonce-1");
  reply["otp"] = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1w";
  s.Reply("PUT /v1/sys/generate-root/attempt", 200, reply);
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "generate-root", "-init"}), 0) << s.err();
  EXPECT_EQ(s.requests()[0].json(), Json::object());
  std::string out = s.out();
  EXPECT_NE(out.find("Nonce         nonce-1\n"
                     "Started       true\n"
                     "Progress      0/3\n"
                     "OTP           Ab3dEf6hIj9kLm2nOp5qRs8tUv1w\n"
                     "OTP Length    28\n"
                     "Complete      false\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("one-time password"), std::string::npos);
}

TEST(GenerateRootTest, InitWithOwnOtpSendsIt) {
  FakeServer s;
  s.Reply("PUT /v1/sys/generate-root/attempt", 200, Attempt(true, 0, "n"));
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "generate-root", "-init", "-otp=abc"}), 0);
  EXPECT_EQ(s.requests()[0].json(), (Json{{"otp", "abc"}}));
  EXPECT_EQ(s.out().find("one-time password"), std::string::npos);
}

TEST(GenerateRootTest, StatusJsonPrintsTheApiObject) {
  FakeServer s;
  s.Reply("GET /v1/sys/generate-root/attempt", 200, Attempt(false, 0, ""));
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "generate-root", "-status", "-format=json"}), 0);
  EXPECT_EQ(Json::parse(s.out()), Attempt(false, 0, ""));
}

TEST(GenerateRootTest, Cancel) {
  FakeServer s;
  s.Reply("DELETE /v1/sys/generate-root/attempt", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "generate-root", "-cancel"}), 0);
  EXPECT_EQ(s.out(), "Success! Root token generation canceled (if it was started)\n");
}

TEST(GenerateRootTest, UpdateWithNonceAndKeyShowsEncodedTokenWhenComplete) {
  FakeServer s;
  Json done = Attempt(true, 3, "n-9");
  done["complete"] = true;
  done["encoded_token"] = "KRRASh0XBSQrPwAdGBcDHRgeAjoiQ2oGZxJoEg";
  s.Reply("PUT /v1/sys/generate-root/update", 200, done);
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "generate-root", "-nonce=n-9", "key-3"}), 0) << s.err();
  ASSERT_EQ(s.requests().size(), 1u);
  EXPECT_EQ(s.requests()[0].json(), (Json{{"key", "key-3"}, {"nonce", "n-9"}}));
  EXPECT_NE(s.out().find("Encoded Token    KRRASh0XBSQrPwAdGBcDHRgeAjoiQ2oGZxJoEg\n"),
            std::string::npos)
      << s.out();
  EXPECT_NE(s.out().find("Complete         true\n"), std::string::npos);
}

TEST(GenerateRootTest, UpdateLooksUpNonceAndReadsKeyFromStdin) {
  FakeServer s;
  s.AddStdinLine("key-1");
  s.Reply("GET /v1/sys/generate-root/attempt", 200, Attempt(true, 0, "n-7"));
  s.Reply("PUT /v1/sys/generate-root/update", 200, Attempt(true, 1, "n-7"));
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "generate-root"}), 0) << s.err();
  ASSERT_EQ(s.requests().size(), 2u);
  EXPECT_EQ(s.requests()[1].json(), (Json{{"key", "key-1"}, {"nonce", "n-7"}}));
  EXPECT_EQ(s.prompts().size(), 1u);
}

TEST(GenerateRootTest, UpdateWithoutAttemptIsAnError) {
  FakeServer s;
  s.Reply("GET /v1/sys/generate-root/attempt", 200, Attempt(false, 0, ""));
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "generate-root", "key"}), 2);
  EXPECT_NE(s.err().find("-init"), std::string::npos);
  EXPECT_EQ(s.requests().size(), 1u);
}

TEST(GenerateRootTest, DecodeIsLocal) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(),
                     {"operator", "generate-root", "-decode=KRRASh0XBSQrPwAdGBcDHRgeAjoiQ2oGZxJoEg",
                      "-otp=Ab3dEf6hIj9kLm2nOp5qRs8tUv1w"}),
            0)
      << s.err();
  EXPECT_EQ(s.out(), "hvs.Xq3LbU9vTz1sWn7Kp0Rr2dYe\n");
  EXPECT_TRUE(s.requests().empty());
}

TEST(GenerateRootTest, DecodeErrors) {
  FakeServer no_otp;
  EXPECT_EQ(Dispatch(no_otp.ctx(), {"operator", "generate-root", "-decode=abc"}), 1);
  EXPECT_NE(no_otp.err().find("-decode needs -otp"), std::string::npos);
  FakeServer bad;
  EXPECT_EQ(Dispatch(bad.ctx(), {"operator", "generate-root", "-decode=!!", "-otp=x"}), 1);
  EXPECT_NE(bad.err().find("Error decoding root token"), std::string::npos);
}

TEST(GenerateRootTest, GenerateOtpIsLocal) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "generate-root", "-generate-otp"}), 0);
  ASSERT_EQ(s.out().size(), kRootTokenOtpLength + 1);
  EXPECT_EQ(s.out().back(), '\n');
  EXPECT_TRUE(s.requests().empty());
}

TEST(GenerateRootTest, ConflictingModesAreRejected) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "generate-root", "-init", "-cancel"}), 1);
  EXPECT_NE(s.err().find("Only one of"), std::string::npos);
  FakeServer t;
  EXPECT_EQ(Dispatch(t.ctx(), {"operator", "generate-root", "-status", "key"}), 1);
  EXPECT_TRUE(s.requests().empty());
  EXPECT_TRUE(t.requests().empty());
}

}  // namespace
}  // namespace coffer::cli
