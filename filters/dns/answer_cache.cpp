#include "filters/dns/answer_cache.hpp"

#include <algorithm>

namespace mxgate::filters::dns {

namespace {

constexpr std::size_t entry_overhead = 96;  // map node, key, vector: roughly, so tiny answers count too

std::size_t size_of(std::string_view name, const Answer& answer) {
    std::size_t bytes = entry_overhead + 2 * name.size();
    for (const auto& record : answer.records) bytes += record.size() + sizeof record;
    return bytes;
}

}  // namespace

AnswerCache::AnswerCache(std::size_t max_bytes, std::chrono::seconds max_ttl, std::chrono::seconds max_negative_ttl)
    : max_bytes_(max_bytes), max_ttl_(max_ttl), max_negative_ttl_(max_negative_ttl) {}

std::string AnswerCache::key(std::string_view name, RecordType type) {
    return std::to_string(static_cast<unsigned>(type)) + ' ' + canonical_name(name);
}

std::optional<Answer> AnswerCache::find(std::string_view name, RecordType type, Clock::time_point now) const {
    const std::string k = key(name, type);
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(k);
    if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
    Answer answer = it->second.answer;
    answer.ttl = static_cast<std::uint32_t>(
        std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(it->second.expires - now).count()));
    return answer;
}

void AnswerCache::store(std::string_view name, RecordType type, const Answer& answer, Clock::time_point now) {
    const bool negative = answer.status == Status::nxdomain || answer.status == Status::nodata;
    if (answer.status != Status::ok && !negative) return;
    const auto cap = negative ? max_negative_ttl_ : max_ttl_;
    const auto ttl = std::min<std::chrono::seconds>(std::chrono::seconds(answer.ttl), cap);
    const std::size_t bytes = size_of(name, answer);
    if (ttl.count() <= 0 || bytes > max_bytes_ / 16) return;  // nothing to keep, or one answer hogging the cache
    std::string k = key(name, type);
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(k); it != entries_.end()) {
        bytes_ -= it->second.bytes;
        entries_.erase(it);
    }
    make_room(bytes, now);
    bytes_ += bytes;
    entries_.emplace(std::move(k), Entry{answer, now + ttl, bytes});
}

void AnswerCache::make_room(std::size_t needed, Clock::time_point now) {
    if (bytes_ + needed <= max_bytes_) return;
    for (auto it = entries_.begin(); it != entries_.end();) {  // expired first
        if (it->second.expires <= now) {
            bytes_ -= it->second.bytes;
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
    // Still full: drop entries in hash order (effectively random) down to 3/4,
    // so a full cache is swept once in a while, not on every insert.
    for (auto it = entries_.begin(); it != entries_.end() && bytes_ + needed > max_bytes_ * 3 / 4;) {
        bytes_ -= it->second.bytes;
        it = entries_.erase(it);
    }
}

std::size_t AnswerCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

}  // namespace mxgate::filters::dns
