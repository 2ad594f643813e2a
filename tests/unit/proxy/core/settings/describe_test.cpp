// The settings framework on its own: one described struct yields the allowed keys
// (with the did-you-mean hint), located decoding with per-field rules, the check
// hook, and a dump that reads back to the same value.
#include <gtest/gtest.h>

#include "proxy/core/settings/describe.hpp"

namespace mxgate::settings_test {

using namespace std::chrono_literals;

enum class Store { sqlite, redis };
BOOST_DESCRIBE_ENUM(Store, sqlite, redis)

struct Inner {
    bool enabled = false;
    std::chrono::milliseconds timeout = 5s;
    bool operator==(const Inner&) const = default;
};
BOOST_DESCRIBE_STRUCT(Inner, (), (enabled, timeout))

struct Item {
    std::string name;
    int weight = 1;
    bool operator==(const Item&) const = default;
};
BOOST_DESCRIBE_STRUCT(Item, (), (name, weight))

struct Sample {
    bool enabled = false;
    std::string label = "x";
    Store store = Store::sqlite;
    unsigned threads = 4;
    std::chrono::seconds delay = 5min;
    std::chrono::seconds window = 4h;
    Inner inner;
    std::vector<Item> items;
    bool operator==(const Sample&) const = default;
};
BOOST_DESCRIBE_STRUCT(Sample, (), (enabled, label, store, threads, delay, window, inner, items))

inline auto settings_fields(const Inner*) {
    return std::tuple{settings::field<&Inner::timeout>(settings::duration(10ms, 1min))};
}
inline auto settings_fields(const Item*) {
    return std::tuple{settings::field<&Item::name>(settings::required(settings::TextCodec{})),
                      settings::field<&Item::weight>(settings::signed_number(-10, 10))};
}
inline auto settings_fields(const Sample*) {
    return std::tuple{settings::field<&Sample::threads>(settings::number(1, 64)),
                      settings::field<&Sample::delay>(settings::whole_seconds(0s, 24h)),
                      settings::field<&Sample::window>(settings::whole_seconds(1s, 720h)),
                      settings::field<&Sample::items>(settings::list_of<Item>("items like {name: a}", "{name: a}"))};
}
// Only compare two values that both decoded cleanly.
inline void settings_check(Sample& s, const settings::Section& section) {
    if (!section.clean("delay") || !section.clean("window") || s.delay < s.window) return;
    section.reporter().error(section.reporter().mark(section.path("delay")),
                             section.path("delay") + ": must be less than window");
}

namespace {

struct Decoded {
    Sample value;
    std::vector<std::string> errors;
};

Decoded decode(const std::string& yaml) {
    settings::Diagnostics diagnostics;
    settings::Reporter reporter("t.yaml", "/etc", diagnostics);
    Decoded out;
    out.value = settings::decode_section<Sample>(YAML::Load(yaml), "sample", reporter);
    for (const auto& d : diagnostics) out.errors.push_back(d.str());
    return out;
}

std::string dump(const Sample& value) {
    YAML::Emitter out;
    settings::Writer w(out);
    out << YAML::BeginMap;
    settings::dump_section(w, "sample", value);
    out << YAML::EndMap;
    return out.c_str();
}

TEST(SettingsDescribe, KeysAreTheMemberNamesInDescriptionOrder) {
    EXPECT_EQ(settings::key_names<Sample>(), (std::vector<std::string>{"enabled", "label", "store", "threads", "delay",
                                                                        "window", "inner", "items"}));
}

TEST(SettingsDescribe, AbsentSectionIsTheDefaults) {
    const Decoded d = decode("");
    EXPECT_TRUE(d.errors.empty());
    EXPECT_EQ(d.value, Sample{});
}

TEST(SettingsDescribe, DecodesEveryKindOfField) {
    const Decoded d = decode(
        "enabled: true\nlabel: hello\nstore: redis\nthreads: 8\ndelay: 2m\nwindow: 1h\n"
        "inner: {enabled: true, timeout: 250ms}\nitems:\n  - {name: a, weight: -3}\n  - {name: b}\n");
    ASSERT_TRUE(d.errors.empty()) << d.errors.front();
    EXPECT_TRUE(d.value.enabled);
    EXPECT_EQ(d.value.label, "hello");
    EXPECT_EQ(d.value.store, Store::redis);
    EXPECT_EQ(d.value.threads, 8u);
    EXPECT_EQ(d.value.delay, 2min);
    EXPECT_EQ(d.value.window, 1h);
    EXPECT_EQ(d.value.inner, (Inner{true, 250ms}));
    EXPECT_EQ(d.value.items, (std::vector<Item>{{"a", -3}, {"b", 1}}));
}

TEST(SettingsDescribe, UnknownKeyGetsTheClosestName) {
    const Decoded d = decode("threds: 3\n");
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_EQ(d.errors[0], "t.yaml:1:1: unknown key 'threds' in sample; did you mean 'threads'?");
}

// Errors come in description order; parse_config sorts them by position.
TEST(SettingsDescribe, RulesGiveLocatedErrorsAndKeepTheDefault) {
    const Decoded d = decode("threads: 99\nstore: mysql\ninner: {timeout: 2h}\nitems: [{weight: 3}, 7]\n");
    EXPECT_EQ(d.errors, (std::vector<std::string>{
                            "t.yaml:2:8: sample.store: expected one of sqlite, redis, got \"mysql\"",
                            "t.yaml:1:10: sample.threads: expected a whole number from 1 to 64, got \"99\"",
                            "t.yaml:3:18: sample.inner.timeout: expected a duration from 10ms to 1m with a unit "
                            "(ms, s, m, h) like \"30s\", got \"2h\"",
                            "t.yaml:4:9: sample.items[0]: missing key 'name'",
                            "t.yaml:4:22: sample.items[1]: expected a map like {name: a}, got \"7\""}));
    EXPECT_EQ(d.value.threads, 4u);
    EXPECT_EQ(d.value.store, Store::sqlite);
    EXPECT_EQ(d.value.inner.timeout, 5s);
}

TEST(SettingsDescribe, CheckHookRunsOnlyOnCleanFields) {
    EXPECT_EQ(decode("delay: 2h\nwindow: 1h\n").errors,
              (std::vector<std::string>{"t.yaml:1:8: sample.delay: must be less than window"}));
    EXPECT_EQ(decode("delay: 2h\nwindow: 1500ms\n").errors.size(), 1u);  // only the bad window
}

TEST(SettingsDescribe, DumpReadsBackToTheSameValue) {
    const Decoded d = decode("label: \"null\"\nstore: redis\ndelay: 90s\nitems: [{name: a, weight: -3}]\n");
    ASSERT_TRUE(d.errors.empty());
    const std::string text = dump(d.value);
    EXPECT_EQ(text,
              "sample:\n  enabled: false\n  label: \"null\"\n  store: redis\n  threads: 4\n  delay: 90s\n"
              "  window: 4h\n  inner:\n    enabled: false\n    timeout: 5s\n  items:\n"
              "    - {name: \"a\", weight: -3}");
    settings::Diagnostics diagnostics;
    settings::Reporter reporter("dump", "/", diagnostics);
    EXPECT_EQ(settings::decode_section<Sample>(YAML::Load(text)["sample"], "sample", reporter), d.value);
    EXPECT_TRUE(diagnostics.empty());
    EXPECT_NE(dump(Sample{}).find("items: []"), std::string::npos);
}

}  // namespace
}  // namespace mxgate::settings_test
