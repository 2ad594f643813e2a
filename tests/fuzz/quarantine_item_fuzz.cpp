// libFuzzer: a quarantine metadata file through parse_item. The file is mxgate's,
// but its strings came from clients (sender, HELO, recipients). abort()s when an
// accepted item has an unsafe id or does not survive serialize_item() -> parse_item().
#include "proxy/quarantine/quarantine_item.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mxgate::quarantine;
    const auto item = parse_item(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!item) return 0;
    if (!valid_id(item->id)) std::abort();
    const auto again = parse_item(serialize_item(*item));
    if (!again || !(*again == *item)) std::abort();
    return 0;
}
