// Config decoding of filters.helo: every key, the defaults, a wrong type with its
// "file:line:column: message" text, and the dump -> parse round trip.
#include <gtest/gtest.h>

#include <string>

#include "filters/helo/helo_config.hpp"
#include "proxy/config/decode.hpp"
#include "tests/unit/proxy/config/config_test_support.hpp"

namespace mxgate::config {
namespace {

using namespace test;

TEST(ConfigHelo, DefaultsAreOffWithTheInvalidNameCheckReady) {
    const Parsed p = parse(minimal);
    ASSERT_NE(p.config, nullptr);
    EXPECT_FALSE(p.config->filters.get<filters::helo::HeloConfig>().enabled);
    EXPECT_TRUE(p.config->filters.get<filters::helo::HeloConfig>().reject_invalid_hostname);
    EXPECT_FALSE(p.config->filters.get<filters::helo::HeloConfig>().reject_non_fqdn_hostname);
    EXPECT_TRUE(p.config->filters.get<filters::helo::HeloConfig>().skip_trusted);
    EXPECT_FALSE(p.config->filters.need_resolver());
    EXPECT_FALSE(p.config->filters.need_state());
}

TEST(ConfigHelo, DecodesEveryKeyAndRoundTrips) {
    const Parsed p = parse(minimal +
                           "filters:\n"
                           "  helo: {enabled: true, reject_invalid_hostname: false, reject_non_fqdn_hostname: true, "
                           "skip_trusted: false}\n");
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    const auto& h = p.config->filters.get<filters::helo::HeloConfig>();
    EXPECT_TRUE(h.enabled);
    EXPECT_FALSE(h.reject_invalid_hostname);
    EXPECT_TRUE(h.reject_non_fqdn_hostname);
    EXPECT_FALSE(h.skip_trusted);
    const std::string dumped = dump_config(*p.config);
    EXPECT_NE(dumped.find("reject_non_fqdn_hostname: true\n"), std::string::npos) << dumped;
    const Parsed again = parse(dumped);
    ASSERT_NE(again.config, nullptr) << (again.errors.empty() ? "" : again.errors.front()) << "\n" << dumped;
    EXPECT_EQ(again.config->filters, p.config->filters) << dumped;
}

TEST(ConfigHelo, ErrorsAreLocated) {
    expect_error(minimal + "filters:\n  helo:\n    reject_non_fqdn_hostname: sometimes\n",
                 "t.yaml:9:31: filters.helo.reject_non_fqdn_hostname: expected true or false, got \"sometimes\"");
    expect_error(minimal + "filters: {helo: {reject_invalid_hostnames: true}}\n",
                 "t.yaml:7:18: unknown key 'reject_invalid_hostnames' in filters.helo; did you mean "
                 "'reject_invalid_hostname'?");
}

}  // namespace
}  // namespace mxgate::config
