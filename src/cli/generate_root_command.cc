// `coffer operator generate-root`: the sys/generate-root flow, plus the two
// local helpers it needs (-generate-otp, -decode).
//
// Modes (at most one): -init, -status, -cancel, -decode, -generate-otp; with
// none, one unseal key share is submitted for the attempt -nonce (looked up
// when not given).
#include <openssl/crypto.h>

#include <ostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/reply_fields.h"
#include "cli/root_token_otp.h"

namespace coffer::cli {
namespace {

constexpr char kUsage[] =
    "Usage: coffer operator generate-root [options] [KEY]\n"
    "\n"
    "  Creates a new root token once a quorum of unseal key holders agrees:\n"
    "\n"
    "    1. coffer operator generate-root -init            (prints a nonce and an OTP)\n"
    "    2. coffer operator generate-root -nonce=N [KEY]    (once per key holder)\n"
    "    3. coffer operator generate-root -decode=ENCODED -otp=OTP\n"
    "\n"
    "  The last share returns the new token XOR-ed with the OTP, so only the holder\n"
    "  of the OTP can read it. Without KEY the share is read from stdin.\n";

struct Options {
  bool init = false;
  bool status = false;
  bool cancel = false;
  bool generate_otp = false;
  std::string decode;
  std::string otp;
  std::string pgp_key;
  std::string nonce;
};

std::vector<Row> AttemptRows(const Json& s) {
  std::vector<Row> rows;
  rows.push_back({"Nonce", StringField(s, "nonce")});
  rows.push_back({"Started", BoolField(s, "started") ? "true" : "false"});
  rows.push_back({"Progress", std::to_string(IntField(s, "progress")) + "/" +
                                  std::to_string(IntField(s, "required"))});
  std::string encoded = StringField(s, "encoded_token");
  if (encoded.empty()) encoded = StringField(s, "encoded_root_token");
  if (!encoded.empty()) rows.push_back({"Encoded Token", encoded});
  if (!StringField(s, "pgp_fingerprint").empty()) {
    rows.push_back({"PGP Fingerprint", StringField(s, "pgp_fingerprint")});
  }
  if (!StringField(s, "otp").empty()) rows.push_back({"OTP", StringField(s, "otp")});
  if (IntField(s, "otp_length") > 0) {
    rows.push_back({"OTP Length", std::to_string(IntField(s, "otp_length"))});
  }
  rows.push_back({"Complete", BoolField(s, "complete") ? "true" : "false"});
  return rows;
}

int PrintAttempt(Invocation& inv, const Json& s) {
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(s);
    return kExitOk;
  }
  if (!StringField(s, "otp").empty()) {
    inv.out() << "A one-time password (OTP) was generated and is shown below. Keep it: it is\n"
                 "needed to decode the new root token at the end.\n\n";
  }
  inv.out() << FormatTable(AttemptRows(s), false);
  return kExitOk;
}

int Decode(Invocation& inv, const Options& o) {
  if (o.otp.empty()) return inv.UsageError("-decode needs -otp");
  std::string encoded = o.decode;
  if (encoded == "-") {
    if (!inv.ctx().read_secret)
      return inv.Fail("Error reading encoded token", Internal("no stdin"), 1);
    Result<std::string> read = inv.ctx().read_secret("Encoded token: ");
    if (!read.ok()) return inv.Fail("Error reading encoded token", read.status(), 1);
    encoded = std::move(read).value();
  }
  Result<std::string> token = DecodeRootToken(encoded, o.otp);
  if (!token.ok()) return inv.Fail("Error decoding root token", token.status(), 1);
  inv.out() << *token << "\n";
  std::string& t = token.value();
  OPENSSL_cleanse(t.data(), t.size());
  return kExitOk;
}

int Update(Invocation& inv, ApiClient& client, const Options& o) {
  if (inv.positional().empty() && !inv.ctx().read_secret) {
    return inv.Fail("Error reading unseal key", Internal("no stdin"), 1);
  }
  std::string nonce = o.nonce;
  if (nonce.empty()) {
    Result<Json> st = client.Call("GET", "sys/generate-root/attempt");
    if (!st.ok()) return inv.Fail("Error getting root generation status", st.status());
    nonce = StringField(*st, "nonce");
    if (!BoolField(*st, "started") || nonce.empty()) {
      inv.err() << "No root token generation is in progress. Start one with -init.\n";
      return kExitRemoteError;
    }
  }
  std::string key;
  if (!inv.positional().empty()) {
    key = inv.positional()[0];
  } else {
    Result<std::string> read = inv.ctx().read_secret("Unseal Key (will be hidden): ");
    if (!read.ok()) return inv.Fail("Error reading unseal key", read.status(), 1);
    key = std::move(read).value();
  }
  if (key.empty()) return inv.UsageError("Missing unseal key");
  Json body = {{"key", key}, {"nonce", nonce}};
  OPENSSL_cleanse(key.data(), key.size());
  Result<Json> resp = client.Call("PUT", "sys/generate-root/update", body);
  std::string& sent = body["key"].get_ref<std::string&>();
  OPENSSL_cleanse(sent.data(), sent.size());
  if (!resp.ok()) return inv.Fail("Error posting unseal key", resp.status());
  return PrintAttempt(inv, *resp);
}

}  // namespace

int RunOperatorGenerateRoot(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kUsage);
  Options o;
  FlagSet& f = inv.flags();
  f.Bool("init", &o.init, "Start a root token generation attempt.");
  f.Bool("status", &o.status, "Print the status of the current attempt.");
  f.Bool("cancel", &o.cancel, "Cancel the current attempt and discard submitted shares.");
  f.Bool("generate-otp", &o.generate_otp, "Print a new OTP (local; no server contact).");
  f.String("decode", &o.decode, "Decode this encoded token with -otp (local). \"-\" reads stdin.");
  f.String("otp", &o.otp, "The OTP, for -decode, or to supply your own with -init.");
  f.String("pgp-key", &o.pgp_key, "With -init: encrypt the new token to this PGP key instead.");
  f.String("nonce", &o.nonce, "Nonce of the attempt the submitted share belongs to.");
  if (auto exit = inv.Parse(args, 0, 1)) return *exit;

  int modes =
      int{o.init} + int{o.status} + int{o.cancel} + int{o.generate_otp} + int{f.IsSet("decode")};
  if (modes > 1) {
    return inv.UsageError(
        "Only one of -init, -status, -cancel, -decode, -generate-otp may be given");
  }
  if (modes == 1 && !inv.positional().empty()) {
    return inv.UsageError("KEY is only accepted when submitting a share");
  }
  if (o.generate_otp) {
    inv.out() << GenerateOtp() << "\n";
    return kExitOk;
  }
  if (f.IsSet("decode")) return Decode(inv, o);

  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  if (o.status) {
    Result<Json> resp = client->Call("GET", "sys/generate-root/attempt");
    if (!resp.ok()) return inv.Fail("Error getting root generation status", resp.status());
    return PrintAttempt(inv, *resp);
  }
  if (o.cancel) {
    Result<Json> resp = client->Call("DELETE", "sys/generate-root/attempt");
    if (!resp.ok()) return inv.Fail("Error canceling root token generation", resp.status());
    inv.out() << "Success! Root token generation canceled (if it was started)\n";
    return kExitOk;
  }
  if (o.init) {
    if (!o.otp.empty() && !o.pgp_key.empty()) {
      return inv.UsageError("-otp and -pgp-key cannot be used together");
    }
    Json body = Json::object();
    if (!o.otp.empty()) body["otp"] = o.otp;
    if (!o.pgp_key.empty()) body["pgp_key"] = o.pgp_key;
    Result<Json> resp = client->Call("PUT", "sys/generate-root/attempt", body);
    if (!resp.ok()) return inv.Fail("Error initializing root generation", resp.status());
    return PrintAttempt(inv, *resp);
  }
  return Update(inv, *client, o);
}

}  // namespace coffer::cli
