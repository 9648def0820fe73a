#include "common/json_util.h"

#include <gtest/gtest.h>

#include <limits>

namespace coffer {
namespace {

Json Body(Json value) { return Json{{"f", std::move(value)}}; }

template <typename T>
T Must(Result<std::optional<T>> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok() || !r->has_value()) {
    ADD_FAILURE() << "no value";
    return T();
  }
  return **r;
}

template <typename T>
std::string Err(Result<std::optional<T>> r) {
  EXPECT_FALSE(r.ok());
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  return r.status().message();
}

TEST(JsonUtilTest, ParseGoBool) {
  for (const char* s : {"1", "t", "T", "TRUE", "true", "True"}) {
    bool b = false;
    EXPECT_TRUE(ParseGoBool(s, &b)) << s;
    EXPECT_TRUE(b) << s;
  }
  for (const char* s : {"0", "f", "F", "FALSE", "false", "False"}) {
    bool b = true;
    EXPECT_TRUE(ParseGoBool(s, &b)) << s;
    EXPECT_FALSE(b) << s;
  }
  for (const char* s : {"", "yes", "tRUE", " true", "2", "no"}) {
    bool b = true;
    EXPECT_FALSE(ParseGoBool(s, &b)) << s;
    EXPECT_TRUE(b) << "untouched on failure";
  }
}

TEST(JsonUtilTest, AbsentAndNullAreNullopt) {
  Json obj = {{"n", nullptr}};
  EXPECT_FALSE(GetBool(obj, "missing")->has_value());
  EXPECT_FALSE(GetBool(obj, "n")->has_value());
  EXPECT_FALSE(GetInt(obj, "n")->has_value());
  EXPECT_FALSE(GetString(obj, "n")->has_value());
  EXPECT_FALSE(GetStringList(obj, "n")->has_value());
  EXPECT_FALSE(GetDuration(obj, "n")->has_value());
  EXPECT_FALSE(GetStringMap(obj, "n")->has_value());
  EXPECT_FALSE(GetString(Json::array(), "f")->has_value());  // not an object
}

TEST(JsonUtilTest, GetBool) {
  EXPECT_TRUE(Must(GetBool(Body(true), "f")));
  EXPECT_FALSE(Must(GetBool(Body(false), "f")));
  EXPECT_TRUE(Must(GetBool(Body("true"), "f")));
  EXPECT_TRUE(Must(GetBool(Body("1"), "f")));
  EXPECT_FALSE(Must(GetBool(Body("F"), "f")));
  EXPECT_TRUE(Must(GetBool(Body(1), "f")));
  EXPECT_FALSE(Must(GetBool(Body(0), "f")));
  EXPECT_TRUE(Must(GetBool(Body(0.5), "f")));
  EXPECT_EQ(Err(GetBool(Json{{"renewable", "maybe"}}, "renewable")),
            "error converting input maybe for field \"renewable\": cannot parse 'maybe' as bool");
  EXPECT_NE(Err(GetBool(Body(Json::array()), "f")).find("for field \"f\""), std::string::npos);
}

TEST(JsonUtilTest, GetInt) {
  EXPECT_EQ(Must(GetInt(Body(42), "f")), 42);
  EXPECT_EQ(Must(GetInt(Body(-7), "f")), -7);
  EXPECT_EQ(Must(GetInt(Body("42"), "f")), 42);
  EXPECT_EQ(Must(GetInt(Body("-42"), "f")), -42);
  EXPECT_EQ(Must(GetInt(Body("+3"), "f")), 3);
  EXPECT_EQ(Must(GetInt(Body(""), "f")), 0);
  EXPECT_EQ(Must(GetInt(Body(3.9), "f")), 3);
  EXPECT_EQ(Must(GetInt(Body(true), "f")), 1);
  EXPECT_EQ(Err(GetInt(Json{{"num_uses", "abc"}}, "num_uses")),
            "error converting input abc for field \"num_uses\": cannot parse 'abc' as int");
  Err(GetInt(Body("1.5"), "f"));
  Err(GetInt(Body("+-5"), "f"));
  Err(GetInt(Body(" 5"), "f"));
  Err(GetInt(Body("99999999999999999999"), "f"));
  Err(GetInt(Body(uint64_t{18446744073709551615ULL}), "f"));
  Err(GetInt(Body(1e300), "f"));
  Err(GetInt(Body(Json::object()), "f"));
}

TEST(JsonUtilTest, GetString) {
  EXPECT_EQ(Must(GetString(Body("abc"), "f")), "abc");
  EXPECT_EQ(Must(GetString(Body(""), "f")), "");
  EXPECT_EQ(Must(GetString(Body(3), "f")), "3");
  EXPECT_EQ(Must(GetString(Body(-3), "f")), "-3");
  EXPECT_EQ(Must(GetString(Body(1.5), "f")), "1.5");
  EXPECT_EQ(Must(GetString(Body(1e20), "f")), "100000000000000000000");
  EXPECT_EQ(Must(GetString(Body(true), "f")), "true");
  EXPECT_EQ(Err(GetString(Json{{"name", Json::array({1})}}, "name")),
            "error converting input [1] for field \"name\": expected a string, got array");
  Err(GetString(Body(Json::object()), "f"));
}

TEST(JsonUtilTest, GetStringList) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Must(GetStringList(Body(Json::array({"a", " b ", "", "c"})), "f")), (V{"a", "b", "c"}));
  EXPECT_EQ(Must(GetStringList(Body("a, b,,c ,"), "f")), (V{"a", "b", "c"}));
  EXPECT_EQ(Must(GetStringList(Body(""), "f")), V{});
  EXPECT_EQ(Must(GetStringList(Body(Json::array()), "f")), V{});
  EXPECT_EQ(Must(GetStringList(Body("default"), "f")), V{"default"});
  EXPECT_EQ(Must(GetStringList(Body(Json::array({1, true})), "f")), (V{"1", "true"}));
  EXPECT_EQ(Must(GetStringList(Body(5), "f")), V{"5"});
  EXPECT_NE(Err(GetStringList(Body(Json::array({Json::object()})), "f")).find("list items"),
            std::string::npos);
  Err(GetStringList(Body(Json::object()), "f"));
}

TEST(JsonUtilTest, GetDuration) {
  EXPECT_EQ(Must(GetDuration(Body(60), "f")), 60);
  EXPECT_EQ(Must(GetDuration(Body("60"), "f")), 60);
  EXPECT_EQ(Must(GetDuration(Body("1h"), "f")), 3600);
  EXPECT_EQ(Err(GetDuration(Json{{"ttl", "5x"}}, "ttl")),
            "error converting input 5x for field \"ttl\": time: unknown unit \"x\" in "
            "duration \"5x\"");
  Err(GetDuration(Body(-1), "f"));
  Err(GetDuration(Body(true), "f"));
}

TEST(JsonUtilTest, GetStringMap) {
  using M = std::map<std::string, std::string>;
  EXPECT_EQ(Must(GetStringMap(Body(Json{{"a", "x"}, {"b", 2}, {"c", true}, {"d", nullptr}}), "f")),
            (M{{"a", "x"}, {"b", "2"}, {"c", "true"}}));
  EXPECT_EQ(Must(GetStringMap(Body(Json::array({"a=1", "b=x=y", "c="})), "f")),
            (M{{"a", "1"}, {"b", "x=y"}, {"c", ""}}));
  EXPECT_EQ(Must(GetStringMap(Body(Json::object()), "f")), M{});
  Err(GetStringMap(Body(Json{{"a", Json::object()}}), "f"));
  Err(GetStringMap(Body(Json::array({"novalue"})), "f"));
  Err(GetStringMap(Body(Json::array({"=x"})), "f"));
  Err(GetStringMap(Body(Json::array({1})), "f"));
  Err(GetStringMap(Body("a=b"), "f"));
}

TEST(JsonUtilTest, LongInputIsCutInErrors) {
  std::string big(1000, 'x');
  std::string msg = Err(GetBool(Body(big), "f"));
  EXPECT_LT(msg.size(), 400u);
  EXPECT_NE(msg.find("..."), std::string::npos);
}

std::string LibraryDump(const Json& v) { return v.dump(-1, ' ', false, Json::error_handler_t::replace); }

TEST(JsonUtilTest, AppendJsonWritesWhatTheLibraryWrites) {
  const std::vector<Json> cases = {
      nullptr,
      true,
      false,
      0,
      -1,
      int64_t{-9223372036854775807} - 1,
      uint64_t{18446744073709551615u},
      1.5,
      0.1,
      -2.5e-300,
      1e300,
      "",
      "plain",
      "quote \" backslash \\ slash /",
      "control \x01\x1f tab\t newline\n cr\r bs\b ff\f del\x7f",
      "unicode caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",
      std::string("invalid \xff\xfe utf-8 \xc3"),
      std::string("nul \0 inside", 12),
      Json::object(),
      Json::array(),
      Json{{"b", 1}, {"a", Json::array({1, "x", nullptr, Json::object()})}, {"c", {{"d", 2.25}}}},
      Json{{"k\n\"", "v"}, {"caf\xc3\xa9", {1, 2, 3}}},
      Json::binary({1, 2, 3}),
  };
  for (const Json& v : cases) {
    std::string out = "prefix";
    AppendJson(&out, v);
    EXPECT_EQ(out, "prefix" + LibraryDump(v)) << LibraryDump(v);
    EXPECT_EQ(DumpJsonCompact(v), LibraryDump(v));
  }
}

TEST(JsonUtilTest, AppendJsonFieldWritesWhatTheLibraryWrites) {
  // The library's dump of {key: value} is "{" + the field + "}".
  auto field_of = [](const Json& one_field_object) {
    std::string dump = LibraryDump(one_field_object);
    return dump.substr(1, dump.size() - 2);
  };
  const std::vector<std::string> keys = {"k", "caf\xc3\xa9 \"quoted\"", std::string("nul \0", 5)};
  const std::vector<std::string> strings = {"", "plain", "tab\t \"q\" \\", "caf\xc3\xa9",
                                            std::string("bad \xff utf-8")};
  for (const std::string& key : keys) {
    for (int64_t n : {int64_t{0}, int64_t{-1}, int64_t{42}, std::numeric_limits<int64_t>::min(),
                      std::numeric_limits<int64_t>::max()}) {
      std::string out = "x";
      AppendJsonField(&out, key, n);
      EXPECT_EQ(out, "x" + field_of(Json{{key, n}}));
    }
    for (bool b : {true, false}) {
      std::string out;
      AppendJsonField(&out, key, b);
      EXPECT_EQ(out, field_of(Json{{key, b}}));
    }
    for (const std::string& v : strings) {
      std::string out;
      AppendJsonField(&out, key, std::string_view(v));
      EXPECT_EQ(out, field_of(Json{{key, v}}));
    }
    for (const std::vector<std::string>& list :
         {std::vector<std::string>{}, std::vector<std::string>{"a"}, strings}) {
      std::string out;
      AppendJsonField(&out, key, list);
      EXPECT_EQ(out, field_of(Json{{key, list}}));
    }
    for (const Json& value : {Json(), Json(1.5), Json{{"b", {1, "x"}}, {"a", nullptr}}}) {
      std::string out;
      AppendJsonValueField(&out, key, value);
      EXPECT_EQ(out, field_of(Json{{key, value}}));
    }
    for (const std::map<std::string, std::string>& map :
         {std::map<std::string, std::string>{},
          std::map<std::string, std::string>{{"b", "2"}, {"a", "caf\xc3\xa9"}, {"\n", ""}}}) {
      std::string out;
      AppendJsonField(&out, key, map);
      EXPECT_EQ(out, field_of(Json{{key, map}}));
    }
  }
}

TEST(JsonUtilTest, JsonObjectWriterWritesWhatTheLibraryWrites) {
  std::string empty;
  JsonObjectWriter(&empty).Close();
  EXPECT_EQ(empty, "{}");
  const std::vector<std::string> list = {"a", "caf\xc3\xa9"};
  const std::map<std::string, std::string> map = {{"k", "v"}};
  const Json tree = {{"n", {1, 2}}};
  std::string out = "prefix";
  JsonObjectWriter(&out)
      .Field("a", true)
      .Field("b", int64_t{-7})
      .Field("c", std::string("text \"q\""))
      .Field("d", list)
      .Field("e", map)
      .ValueField("f", tree)
      .Close();
  const Json expected = {{"a", true}, {"b", -7},   {"c", "text \"q\""},
                         {"d", list}, {"e", map}, {"f", tree}};
  EXPECT_EQ(out, "prefix" + LibraryDump(expected));

  // A nested object after Key.
  std::string nested;
  JsonObjectWriter outer(&nested);
  outer.Field("a", int64_t{1}).Key("b");
  JsonObjectWriter(&nested).Field("c", false).Close();
  outer.Field("d", std::string("e")).Close();
  EXPECT_EQ(nested, LibraryDump(Json{{"a", 1}, {"b", {{"c", false}}}, {"d", "e"}}));
}

// The plain-string check reads eight bytes at a time: every byte that needs
// escaping (and each boundary byte that does not) must be seen wherever it
// sits in a word or in the tail.
TEST(JsonUtilTest, AppendJsonStringSeesEverySpecialByteAtEveryPosition) {
  const std::string specials = std::string("\0\x01\x1f\"\\\x7f\x80\xc3\xff", 9);
  const std::string plain_edges = " !~/[]";  // 0x20, 0x21, 0x7e and neighbours of '"' and '\\'
  for (size_t len = 1; len <= 19; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (char c : specials + plain_edges) {
        std::string s(len, 'a');
        s[pos] = c;
        std::string out;
        AppendJsonString(&out, s);
        EXPECT_EQ(out, LibraryDump(Json(s))) << "len " << len << " pos " << pos << " byte "
                                             << static_cast<int>(static_cast<unsigned char>(c));
      }
    }
  }
}

TEST(JsonUtilTest, AppendJsonOfADeepRecordMatchesTheLibrary) {
  Json v = Json::object();
  Json* cur = &v;
  for (int i = 0; i < 100; ++i) {
    (*cur)["n" + std::to_string(i)] = i;
    (*cur)["s"] = std::string(static_cast<size_t>(i), 'x');
    (*cur)["next"] = Json::object();
    cur = &(*cur)["next"];
  }
  EXPECT_EQ(DumpJsonCompact(v), LibraryDump(v));
}

}  // namespace
}  // namespace coffer
