// Config parsing: defaults, every variable, bad values naming their variable, .env rules.
#include "config/config.h"

#include <gtest/gtest.h>

namespace faceid::config {
namespace {

// 32 random bytes, hex (as `openssl rand -hex 32` makes them).
const std::string kGoodSecret = "9f2c4e7a1b8d03f6e5a4c2b19d87f0e3a6b5c4d2e1f0a9b8c7d6e5f4a3b2c1d0";

Result<Config> load(EnvMap env, EnvMap dotenv = {}, std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> w;
  return load_config(env, dotenv, warnings ? warnings : &w);
}

TEST(ConfigTest, DefaultsMatchThePythonService) {
  auto c = load({{"SECRET_KEY", kGoodSecret}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 8000);
  // Match thresholds come from the calibration table at these error rates; no fixed distance.
  EXPECT_DOUBLE_EQ(c->face_recognition_tolerance, 0);
  EXPECT_DOUBLE_EQ(c->face_match_fmr, 1e-3);
  EXPECT_DOUBLE_EQ(c->face_only_max_fpir, 1e-3);
  EXPECT_DOUBLE_EQ(c->face_only_max_fnmr, 0.3);
  EXPECT_DOUBLE_EQ(c->duplicate_max_refusal, 0.01);
  EXPECT_DOUBLE_EQ(c->liveness_threshold, 0.7);
  EXPECT_EQ(c->rate_limit_register.count, 5);
  EXPECT_EQ(c->rate_limit_register.window_seconds, 3600);
  EXPECT_EQ(c->rate_limit_login.count, 10);
  EXPECT_EQ(c->rate_limit_login.window_seconds, 60);
  EXPECT_EQ(c->rate_limit_default.count, 100);
  EXPECT_EQ(c->max_failed_login_attempts, 10);
  EXPECT_DOUBLE_EQ(c->account_lock_minutes, 30);
  EXPECT_EQ(c->failed_attempt_retention_days, 30);
  EXPECT_EQ(c->log_file, "logs/app.log");
  EXPECT_EQ(c->face_detection_model, "cnn");
  EXPECT_TRUE(c->database_url.empty());
  EXPECT_FALSE(c->production());
}

TEST(ConfigTest, EveryVariableIsRead) {
  EnvMap env = {{"DATABASE_URL", "postgresql://u:p@localhost/db"},
                {"REDIS_URL", "redis://localhost:6379/0"},
                {"SECRET_KEY", kGoodSecret},
                {"ALGORITHM", "HS512"},
                {"ACCESS_TOKEN_EXPIRE_MINUTES", "15"},
                {"REFRESH_TOKEN_EXPIRE_DAYS", "3"},
                {"FACE_RECOGNITION_TOLERANCE", "0.5"},
                {"FACE_MATCH_FMR", "0.0001"},
                {"FACE_ONLY_MAX_FPIR", "0.01"},
                {"FACE_ONLY_MAX_FNMR", "0.1"},
                {"DUPLICATE_MAX_REFUSAL", "0.05"},
                {"FACE_DETECTION_MODEL", "hog"},
                {"LIVENESS_ENABLED", "false"},
                {"LIVENESS_THRESHOLD", "0.55"},
                {"RATE_LIMIT_ENABLED", "no"},
                {"RATE_LIMIT_REGISTER", "3/day"},
                {"RATE_LIMIT_LOGIN", "20 per second"},
                {"RATE_LIMIT_DEFAULT", "50/minute"},
                {"MAX_FAILED_LOGIN_ATTEMPTS", "4"},
                {"ACCOUNT_LOCK_MINUTES", "2"},
                {"FAILED_ATTEMPT_RETENTION_DAYS", "7"},
                {"ENVIRONMENT", "production"},
                {"WORKERS", "3"},
                {"HOST", "127.0.0.1"},
                {"PORT", "9000"},
                {"LOG_LEVEL", "DEBUG"},
                {"LOG_FILE", "/tmp/x.log"},
                {"CORS_ORIGINS", "http://a.test, http://b.test"},
                {"MAX_UPLOAD_MB", "5"},
                {"MAX_DECODE_MEGAPIXELS", "4"},
                {"MAX_CONCURRENT_DECODES", "3"},
                {"DECODE_WAIT_MS", "250"},
                {"TRUSTED_PROXIES", "10.0.0.1"},
                {"AUTH_MODE", "face+password"}};
  auto c = load(env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->database_url, "postgresql://u:p@localhost/db");
  EXPECT_EQ(c->redis_url, "redis://localhost:6379/0");
  EXPECT_EQ(c->algorithm, "HS512");
  EXPECT_EQ(c->access_token_expire_minutes, 15);
  EXPECT_EQ(c->refresh_token_expire_days, 3);
  EXPECT_DOUBLE_EQ(c->face_recognition_tolerance, 0.5);
  EXPECT_DOUBLE_EQ(c->face_match_fmr, 1e-4);
  EXPECT_DOUBLE_EQ(c->face_only_max_fpir, 0.01);
  EXPECT_DOUBLE_EQ(c->face_only_max_fnmr, 0.1);
  EXPECT_DOUBLE_EQ(c->duplicate_max_refusal, 0.05);
  EXPECT_EQ(c->face_detection_model, "hog");
  EXPECT_FALSE(c->liveness_enabled);
  EXPECT_DOUBLE_EQ(c->liveness_threshold, 0.55);
  EXPECT_FALSE(c->rate_limit_enabled);
  EXPECT_EQ(c->rate_limit_register.window_seconds, 86400);
  EXPECT_EQ(c->rate_limit_login.count, 20);
  EXPECT_EQ(c->rate_limit_login.window_seconds, 1);
  EXPECT_EQ(c->rate_limit_default.window_seconds, 60);
  EXPECT_EQ(c->max_failed_login_attempts, 4);
  EXPECT_EQ(c->max_decode_megapixels, 4);
  EXPECT_EQ(c->max_concurrent_decodes, 3);
  EXPECT_EQ(c->decode_wait_ms, 250);
  EXPECT_DOUBLE_EQ(c->account_lock_minutes, 2);
  EXPECT_EQ(c->failed_attempt_retention_days, 7);
  EXPECT_TRUE(c->production());
  EXPECT_EQ(c->workers, 3);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 9000);
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->log_file, "/tmp/x.log");
  EXPECT_EQ(c->cors_origins, (std::vector<std::string>{"http://a.test", "http://b.test"}));
  EXPECT_EQ(c->max_upload_mb, 5);
  EXPECT_EQ(c->max_body_bytes(), 5LL << 20);
  EXPECT_EQ(c->trusted_proxies, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(c->auth_mode, "face+password");
}

struct BadValue {
  const char* name;
  const char* value;
};

class BadValueTest : public testing::TestWithParam<BadValue> {};

TEST_P(BadValueTest, FailsNamingTheVariable) {
  auto c = load({{"SECRET_KEY", kGoodSecret}, {GetParam().name, GetParam().value}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find(GetParam().name), std::string::npos) << c.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Config, BadValueTest,
    testing::Values(
        BadValue{"PORT", "80a"}, BadValue{"PORT", "70000"}, BadValue{"WORKERS", "0"},
        BadValue{"FACE_RECOGNITION_TOLERANCE", "abc"}, BadValue{"FACE_RECOGNITION_TOLERANCE", "5"},
        BadValue{"FACE_MATCH_FMR", "0"}, BadValue{"FACE_MATCH_FMR", "0.5"},
        BadValue{"FACE_ONLY_MAX_FPIR", "2"}, BadValue{"DUPLICATE_MAX_REFUSAL", "-1"},
        BadValue{"FACE_DETECTION_MODEL", "mtcnn"}, BadValue{"LIVENESS_ENABLED", "maybe"},
        BadValue{"LIVENESS_THRESHOLD", "1.5"}, BadValue{"RATE_LIMIT_LOGIN", "ten/minute"},
        BadValue{"RATE_LIMIT_REGISTER", "5/fortnight"}, BadValue{"ENVIRONMENT", "staging"},
        BadValue{"LOG_LEVEL", "loud"}, BadValue{"ALGORITHM", "RS256"},
        BadValue{"MAX_UPLOAD_MB", "-1"}, BadValue{"ACCESS_TOKEN_EXPIRE_MINUTES", ""},
        BadValue{"MAX_FAILED_LOGIN_ATTEMPTS", "1e3"}, BadValue{"AUTH_MODE", "pin"},
        BadValue{"MAX_DECODE_MEGAPIXELS", "0"}, BadValue{"MAX_DECODE_MEGAPIXELS", "41"},
        BadValue{"MAX_CONCURRENT_DECODES", "-1"}, BadValue{"DECODE_WAIT_MS", "soon"}));

TEST(ConfigTest, ProductionRefusesMissingDefaultOrShortSecret) {
  for (const char* secret :
       {"", "changeme", "short-secret", "your-secret-key-change-in-production"}) {
    auto c = load({{"ENVIRONMENT", "production"}, {"SECRET_KEY", secret}});
    ASSERT_FALSE(c.ok()) << secret;
    EXPECT_NE(c.error().message.find("SECRET_KEY"), std::string::npos);
  }
  EXPECT_TRUE(load({{"ENVIRONMENT", "production"}, {"SECRET_KEY", kGoodSecret}}).ok());
}

TEST(ConfigTest, ProductionRefusesLowEntropyAndPlaceholderSecrets) {
  for (const std::string secret :
       {std::string(32, 'a'), std::string(64, 'k'),
        std::string("abcd") + "abcdabcdabcdabcdabcdabcdabcd",
        std::string("0123456789") + "0123456789012345678901",
        std::string("your-secret-key-please-change-me-in-production-0123"),
        std::string("this-is-an-example-secret-key-for-docs-only-xyz")}) {
    auto c = load({{"ENVIRONMENT", "production"}, {"SECRET_KEY", secret}});
    ASSERT_FALSE(c.ok()) << secret;
    EXPECT_NE(c.error().message.find("low-entropy"), std::string::npos) << secret;
  }
  // Random keys pass, down to 32 random hex characters (128 bits).
  for (const char* secret :
       {"3f9a0c7e5b12d84f6a0e9c3b7d51f2a8",
        "Zk3/9qXv+T1mW8sR0bL5yN2cP7hJ4dF6gA=", "test-secret-key-0123456789abcdef0123456789"}) {
    EXPECT_TRUE(load({{"ENVIRONMENT", "production"}, {"SECRET_KEY", secret}}).ok()) << secret;
  }
}

TEST(ConfigTest, DevelopmentGeneratesARandomSecretAndWarns) {
  std::vector<std::string> warnings;
  auto a = load({}, {}, &warnings);
  auto b = load({});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->secret_generated);
  EXPECT_GE(a->secret_key.size(), 32u);
  EXPECT_NE(a->secret_key, b->secret_key);
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("SECRET_KEY"), std::string::npos);
}

TEST(ConfigTest, EnvironmentWinsOverDotenv) {
  auto c =
      load({{"PORT", "9001"}, {"SECRET_KEY", kGoodSecret}}, {{"PORT", "9002"}, {"WORKERS", "5"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 9001);
  EXPECT_EQ(c->workers, 5);
}

TEST(ConfigTest, DotenvParsesQuotesCommentsAndExport) {
  auto env = parse_dotenv(
      "# comment\n\nexport PORT=9100\nSECRET_KEY=\"a b # c\"\nHOST='127.0.0.1'\n"
      "WORKERS=4 # four\n");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->at("PORT"), "9100");
  EXPECT_EQ(env->at("SECRET_KEY"), "a b # c");
  EXPECT_EQ(env->at("HOST"), "127.0.0.1");
  EXPECT_EQ(env->at("WORKERS"), "4");
}

TEST(ConfigTest, DotenvRejectsLinesWithoutEquals) {
  auto env = parse_dotenv("PORT=1\nnonsense\n");
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.error().message.find("line 2"), std::string::npos);
}

TEST(ConfigTest, UnknownDotenvKeysWarnButDoNotFail) {
  std::vector<std::string> warnings;
  auto c = load({{"SECRET_KEY", kGoodSecret}}, {{"APP_NAME", "x"}}, &warnings);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("APP_NAME"), std::string::npos);
}

TEST(ConfigTest, CorsOriginsAcceptsJsonList) {
  auto c = load({{"SECRET_KEY", kGoodSecret}, {"CORS_ORIGINS", R"(["http://x.test","*"])"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cors_origins, (std::vector<std::string>{"http://x.test", "*"}));
}

TEST(ConfigTest, DescribeMasksSecretsAndPasswords) {
  auto c = load({{"SECRET_KEY", kGoodSecret}, {"DATABASE_URL", "postgresql://app:hunter2@db/x"}});
  ASSERT_TRUE(c.ok());
  std::string text = describe(*c);
  EXPECT_EQ(text.find(kGoodSecret), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_NE(text.find("postgresql://app:***@db/x"), std::string::npos);
}

TEST(RateSpecTest, ParsesCommonForms) {
  EXPECT_EQ(parse_rate_spec("5/hour")->window_seconds, 3600);
  EXPECT_EQ(parse_rate_spec("10/minute")->count, 10);
  EXPECT_EQ(parse_rate_spec("2 per seconds")->window_seconds, 1);
  EXPECT_EQ(parse_rate_spec("100/d")->window_seconds, 86400);
  EXPECT_FALSE(parse_rate_spec("0/minute").ok());
  EXPECT_FALSE(parse_rate_spec("minute").ok());
}

}  // namespace
}  // namespace faceid::config
