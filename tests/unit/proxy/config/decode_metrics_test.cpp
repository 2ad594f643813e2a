// metrics: off by default, an address when given, errors at the key's position.
#include <gtest/gtest.h>

#include "tests/unit/proxy/config/config_test_support.hpp"

namespace mxgate::config::test {
namespace {

TEST(DecodeMetrics, OffByDefaultAndWithAnEmptyListen) {
    for (const std::string extra : {"", "metrics: {listen: \"\"}\n", "metrics: {}\n"}) {
        const Parsed p = parse(minimal + extra);
        ASSERT_NE(p.config, nullptr) << extra << (p.errors.empty() ? "" : p.errors.front());
        EXPECT_FALSE(p.config->metrics.enabled()) << extra;
    }
}

TEST(DecodeMetrics, ListenTakesAnAddressAnyInterface) {
    const Parsed p = parse(minimal + "metrics: {listen: \"[::1]:9325\"}\n");
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    EXPECT_TRUE(p.config->metrics.enabled());
    EXPECT_EQ(p.config->metrics.listen.host, "::1");
    EXPECT_EQ(p.config->metrics.listen.port, 9325);
    const Parsed public_address = parse(minimal + "metrics: {listen: \"0.0.0.0:9325\"}\n");
    EXPECT_NE(public_address.config, nullptr);  // the operator's choice (docs/metrics.md)
}

TEST(DecodeMetrics, ErrorsNameTheKeyAndItsPosition) {
    expect_error(minimal + "metrics:\n  listen: \"localhost\"\n",
                 "t.yaml:8:11: metrics.listen: expected \"\" (off), \"host:port\" or \"[IPv6]:port\" with a port "
                 "from 0 to 65535, got \"localhost\"");
    expect_error(minimal + "metrics: {listn: \"127.0.0.1:9325\"}\n",
                 "t.yaml:7:11: unknown key 'listn' in metrics; did you mean 'listen'?");
}

TEST(DecodeMetrics, SurvivesTheDump) {
    for (const std::string extra : {"", "metrics: {listen: \"127.0.0.1:0\"}\n"}) {
        const Parsed first = parse(minimal + extra);
        ASSERT_NE(first.config, nullptr);
        const std::string dumped = dump_config(*first.config);
        const Parsed second = parse(dumped);
        ASSERT_NE(second.config, nullptr) << dumped;
        EXPECT_EQ(second.config->metrics, first.config->metrics) << dumped;
    }
}

}  // namespace
}  // namespace mxgate::config::test
