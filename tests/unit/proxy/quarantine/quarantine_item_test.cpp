// The metadata side file and the list filters: a round trip keeps every field,
// malformed files are refused, ids are safe path components, times parse as UTC.
#include "proxy/quarantine/quarantine_item.hpp"

#include <gtest/gtest.h>

namespace mxgate::quarantine {
namespace {

Item sample() {
    Item item;
    item.id = new_id();
    item.received = 1764943200;  // 2025-12-05T14:00:00Z
    item.session = "s1";
    item.client = "192.0.2.7";
    item.helo = "mail.\xff" "example";  // 8-bit HELO kept as sent
    item.sender = "alice@example.org";
    item.mail_params = {"BODY=8BITMIME", "SMTPUTF8"};
    item.recipients = {{"bob@example.net", "store", false}, {"carol@example.net", "store", true}};
    item.rule = "filter.dmarc";
    item.reason = "dmarc fail for \"example.org\"\r\nX-Evil: 1";
    item.size = 1234;
    return item;
}

TEST(QuarantineItem, MetadataRoundTripKeepsEveryField) {
    const Item item = sample();
    const auto parsed = parse_item(serialize_item(item));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, item);
}

TEST(QuarantineItem, MalformedMetadataIsRefused) {
    EXPECT_FALSE(parse_item(""));
    EXPECT_FALSE(parse_item("[]"));
    EXPECT_FALSE(parse_item(R"({"id":"../etc","received":1,"size":1,"recipients":[],"mail_params":[]})"));
    std::string text = serialize_item(sample());
    EXPECT_FALSE(parse_item(text.substr(0, text.size() / 2)));  // a torn write
    const auto without_sender = text.replace(text.find("\"sender\""), 8, "\"sendxr\"");
    EXPECT_FALSE(parse_item(without_sender));
}

TEST(QuarantineItem, IdsAreSafePathComponentsAndUnique) {
    const std::string a = new_id(), b = new_id();
    EXPECT_TRUE(valid_id(a));
    EXPECT_NE(a, b);
    for (const char* bad : {"", ".", "..", "../x", "a/b", ".hidden", "a b", "a\nb"}) EXPECT_FALSE(valid_id(bad)) << bad;
}

TEST(QuarantineItem, FiltersMatchSubstringsIgnoringCase) {
    const Item item = sample();
    EXPECT_TRUE(matches(item, {}));
    EXPECT_TRUE(matches(item, {.sender = "ALICE@"}));
    EXPECT_FALSE(matches(item, {.sender = "mallory"}));
    EXPECT_TRUE(matches(item, {.recipient = "carol"}));
    EXPECT_FALSE(matches(item, {.recipient = "dave"}));
    EXPECT_TRUE(matches(item, {.reason = "DMARC"}));
    EXPECT_FALSE(matches(item, {.reason = "spf"}));
    EXPECT_TRUE(matches(item, {.since = item.received, .until = item.received + 1}));
    EXPECT_FALSE(matches(item, {.since = item.received + 1}));
    EXPECT_FALSE(matches(item, {.until = item.received}));
}

TEST(QuarantineItem, TimesAreUtc) {
    EXPECT_EQ(parse_time("2025-12-05"), 1764892800);
    EXPECT_EQ(parse_time("2025-12-05T14:00:00"), 1764943200);
    EXPECT_EQ(parse_time("2025-12-05T14:00:00Z"), 1764943200);
    EXPECT_EQ(parse_time("1764943200"), 1764943200);
    EXPECT_EQ(format_time(1764943200), "2025-12-05T14:00:00Z");
    for (const char* bad : {"", "2025-13-01", "2025-12-05T25:00:00", "yesterday", "-5", "2025/12/05"})
        EXPECT_FALSE(parse_time(bad)) << bad;
}

TEST(QuarantineItem, AddressesSplitAtTheLastAt) {
    const auto address = address_of("\"a@b\"@example.org");
    EXPECT_EQ(address.local, "\"a@b\"");
    EXPECT_EQ(address.domain, "example.org");
    EXPECT_TRUE(address_of("").empty());
}

}  // namespace
}  // namespace mxgate::quarantine
