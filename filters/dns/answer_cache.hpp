// The resolver's front cache: answers libunbound gave, kept until their TTL runs
// out, readable from any worker thread. libunbound has its own cache, but it is
// reached only through its worker's pipe and our resolver thread, two thread
// hops per query even on a hit; DNS lists and FCrDNS ask the same few names for
// every connection of a busy client. Positive, NXDOMAIN and NODATA answers only;
// failures are never cached. Bounded by bytes (dns.cache_size).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "filters/dns/resolver.hpp"

namespace mxgate::filters::dns {

class AnswerCache {
public:
    using Clock = std::chrono::steady_clock;
    AnswerCache(std::size_t max_bytes, std::chrono::seconds max_ttl, std::chrono::seconds max_negative_ttl);

    // A copy of the answer with its remaining TTL, or nullopt.
    std::optional<Answer> find(std::string_view name, RecordType type, Clock::time_point now) const;
    void store(std::string_view name, RecordType type, const Answer& answer, Clock::time_point now);
    std::size_t bytes() const;

private:
    struct Entry {
        Answer answer;
        Clock::time_point expires;
        std::size_t bytes = 0;
    };
    static std::string key(std::string_view name, RecordType type);
    void make_room(std::size_t needed, Clock::time_point now);  // mutex_ held

    const std::size_t max_bytes_;
    const std::chrono::seconds max_ttl_, max_negative_ttl_;
    mutable std::mutex mutex_;  // held for one lookup or insert, never across I/O
    std::unordered_map<std::string, Entry> entries_;
    std::size_t bytes_ = 0;
};

}  // namespace mxgate::filters::dns
