#include "auth/registry.h"

#include <gtest/gtest.h>

namespace coffer::auth {
namespace {

TEST(AuthRegistry, BuildsKnownMethodsAndRejectsOthers) {
  MountEntry m;
  for (const char* type : {"userpass", "approle"}) {
    m.type = type;
    auto e = NewAuthMethod(m);
    ASSERT_TRUE(e.ok()) << type;
    EXPECT_NE(e->get(), nullptr);
    EXPECT_FALSE((*e)->UnauthenticatedPaths().empty()) << type;
    EXPECT_TRUE(IsKnownAuthMethod(type));
  }
  m.type = "ldap";
  EXPECT_EQ(NewAuthMethod(m).status(), InvalidArgument("plugin not found in the catalog: ldap"));
  EXPECT_FALSE(IsKnownAuthMethod("ldap"));
  EXPECT_FALSE(IsKnownAuthMethod("token"));  // served by the core's token store
}

}  // namespace
}  // namespace coffer::auth
