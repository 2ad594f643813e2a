// AnswerCache: TTLs (capped, counted down), what is never cached, case-blind
// names, and the byte bound.
#include "filters/dns/answer_cache.hpp"

#include <gtest/gtest.h>

namespace {

namespace dns = mxgate::filters::dns;
using namespace std::chrono_literals;
using Clock = dns::AnswerCache::Clock;

dns::Answer answer(dns::Status status, std::uint32_t ttl, std::vector<std::string> records = {}) {
    dns::Answer a;
    a.status = status;
    a.ttl = ttl;
    a.records = std::move(records);
    return a;
}

TEST(AnswerCache, KeepsAnAnswerForItsTtlCountingDown) {
    dns::AnswerCache cache(1 << 20, 24h, 1h);
    const auto t0 = Clock::now();
    cache.store("2.0.0.127.zen.example", dns::RecordType::a, answer(dns::Status::ok, 300, {"127.0.0.2"}), t0);
    auto hit = cache.find("2.0.0.127.ZEN.example.", dns::RecordType::a, t0 + 100s);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->records, std::vector<std::string>{"127.0.0.2"});
    EXPECT_EQ(hit->ttl, 200u);
    EXPECT_FALSE(cache.find("2.0.0.127.zen.example", dns::RecordType::txt, t0));  // another type
    EXPECT_FALSE(cache.find("2.0.0.127.zen.example", dns::RecordType::a, t0 + 300s));
}

TEST(AnswerCache, NegativeAnswersUseTheNegativeCap) {
    dns::AnswerCache cache(1 << 20, 24h, 60s);
    const auto t0 = Clock::now();
    cache.store("nx.example", dns::RecordType::a, answer(dns::Status::nxdomain, 3600), t0);
    cache.store("empty.example", dns::RecordType::a, answer(dns::Status::nodata, 3600), t0);
    EXPECT_EQ(cache.find("nx.example", dns::RecordType::a, t0 + 59s)->status, dns::Status::nxdomain);
    EXPECT_EQ(cache.find("empty.example", dns::RecordType::a, t0 + 59s)->status, dns::Status::nodata);
    EXPECT_FALSE(cache.find("nx.example", dns::RecordType::a, t0 + 60s));
}

TEST(AnswerCache, FailuresAndZeroTtlAreNeverKept) {
    dns::AnswerCache cache(1 << 20, 24h, 1h);
    const auto t0 = Clock::now();
    cache.store("a.example", dns::RecordType::a, answer(dns::Status::servfail, 300), t0);
    cache.store("b.example", dns::RecordType::a, answer(dns::Status::timeout, 300), t0);
    cache.store("c.example", dns::RecordType::a, answer(dns::Status::ok, 0, {"192.0.2.1"}), t0);
    EXPECT_FALSE(cache.find("a.example", dns::RecordType::a, t0));
    EXPECT_FALSE(cache.find("b.example", dns::RecordType::a, t0));
    EXPECT_FALSE(cache.find("c.example", dns::RecordType::a, t0));
    EXPECT_EQ(cache.bytes(), 0u);
}

TEST(AnswerCache, StaysWithinItsBytes) {
    const std::size_t max = 64 * 1024;
    dns::AnswerCache cache(max, 24h, 1h);
    const auto t0 = Clock::now();
    for (int i = 0; i < 5000; ++i) {
        cache.store("host" + std::to_string(i) + ".example", dns::RecordType::a,
                    answer(dns::Status::ok, 300, {"192.0.2." + std::to_string(i % 250)}), t0);
        ASSERT_LE(cache.bytes(), max);
    }
    EXPECT_TRUE(cache.find("host4999.example", dns::RecordType::a, t0));  // the newest is there
    // One huge answer is not kept at all rather than flushing everything else.
    cache.store("huge.example", dns::RecordType::txt, answer(dns::Status::ok, 300, {std::string(max / 8, 'x')}), t0);
    EXPECT_FALSE(cache.find("huge.example", dns::RecordType::txt, t0));
}

}  // namespace
