#include "accounts/vacation.h"

#include <gtest/gtest.h>

#include "accounts/admin_service.h"

namespace kurier::accounts {
namespace {

TEST(Vacation, ScriptRoundTripsItsSettings) {
  Vacation v{true, "Away \"now\"", "Back on Monday.\nRegards", "2026-12-01", "2026-12-24", "filters"};
  auto script = vacation_script(v);
  EXPECT_EQ(parse_vacation_script(script), v);
  EXPECT_NE(script.find("vacation :days 1 :subject \"Away \\\"now\\\"\""), std::string::npos) << script;
  EXPECT_NE(script.find("currentdate :value \"ge\" \"date\" \"2026-12-01\""), std::string::npos);
  EXPECT_NE(script.find("include :personal \"filters\";"), std::string::npos);
  EXPECT_NE(script.find("Back on Monday.\r\nRegards"), std::string::npos);
}

TEST(Vacation, DisabledScriptHasNoReply) {
  Vacation v{false, "s", "t", "", "", ""};
  auto script = vacation_script(v);
  EXPECT_EQ(script.find("vacation :days"), std::string::npos);
  EXPECT_EQ(parse_vacation_script(script), v);
}

TEST(Vacation, OtherScriptsAreNotVacationSettings) {
  EXPECT_FALSE(parse_vacation_script("require \"fileinto\";\r\n"));
  EXPECT_FALSE(parse_vacation_script("# kurier-vacation: {broken\r\n"));
}

TEST(Vacation, ChecksDatesAndText) {
  EXPECT_THROW(check_vacation({true, "", "x", "2026-13-01", "", ""}), Error);
  EXPECT_THROW(check_vacation({true, "", "x", "2026-12-02", "2026-12-01", ""}), Error);
  EXPECT_THROW(check_vacation({true, "a\nb", "x", "", "", ""}), Error);
  EXPECT_THROW(check_vacation({true, "", "", "", "", ""}), Error);
  EXPECT_NO_THROW(check_vacation({true, "", "x", "2026-12-01", "2026-12-01", ""}));
}

}  // namespace
}  // namespace kurier::accounts
