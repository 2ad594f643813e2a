#include "filters/state/redis_store.hpp"

#include "proxy/core/log.hpp"
#include "filters/state/on_thread.hpp"

#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <pthread.h>
#include <sys/time.h>

#include <type_traits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <hiredis/hiredis.h>

namespace mxgate::filters::state {

namespace asio = boost::asio;

namespace {

// Compare-and-set of one greylist hash (fields: v=version f l p e), so the
// read-decide-write of greylisting is atomic across a fleet without putting
// the decision itself into Lua. KEYS[1]=key ARGV: expected, new version,
// first_seen, last_seen, pass_count, expires_at, ttl in ms.
constexpr const char* put_script = R"lua(
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'f', ARGV[3], 'l', ARGV[4], 'p', ARGV[5], 'e', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 1
)lua";

// INCR and set the TTL on the first event of the window, atomically (a crash
// between the two would leave a counter that never expires).
constexpr const char* increment_script = R"lua(
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
)lua";

// Appends one report row and keeps the day's list until its newest row expires.
// KEYS[1]=the day's list ARGV: element, ttl in ms.
constexpr const char* report_append_script = R"lua(
redis.call('RPUSH', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
)lua";

constexpr Seconds report_day{86400};

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

std::int64_t secs(TimePoint t) { return t.time_since_epoch().count(); }

std::string report_key(const std::string& prefix, const std::string& stream, TimePoint day) {
    return prefix + "rp:" + stream + ":" + std::to_string(secs(day));
}

std::int64_t to_int(const redisReply* r) {
    if (!r) return 0;
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) return std::strtoll(r->str, nullptr, 10);
    return 0;
}

}  // namespace

void RedisStore::ReplyDeleter::operator()(redisReply* r) const { freeReplyObject(r); }

RedisStore::RedisStore(const RedisConfig& config, std::string key_prefix)
    : config_(config), prefix_(std::move(key_prefix)) {
    // hiredis writes with plain write(): a server that went away must give
    // EPIPE, not kill the process, even where SIGPIPE is not ignored (tests).
    asio::post(thread_, [] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
    });
}

RedisStore::~RedisStore() {
    thread_.join();
    if (ctx_) redisFree(ctx_);
}

void RedisStore::drop(const char* what) {
    const int saved_errno = errno;
    const bool timed_out = ctx_ && ctx_->err == REDIS_ERR_IO &&
                           (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
                            std::string_view(ctx_->errstr).find("temporarily unavailable") != std::string_view::npos);
    log::warn(log::Line("state_store_error").add("backend", "redis").add("op", what)
                  .add("server", config_.host + ":" + std::to_string(config_.port))
                  .add("error", ctx_ ? ctx_->errstr : "connect failed")
                  .add("retry_in_ms", static_cast<long long>(config_.reconnect_interval.count())));
    last_error_ = timed_out ? store_error::timeout : store_error::unavailable;
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
    down_until_ = std::chrono::steady_clock::now() + config_.reconnect_interval;
}

bool RedisStore::connect() {
    ctx_ = redisConnectWithTimeout(config_.host.c_str(), config_.port, to_timeval(config_.timeout));
    if (!ctx_ || ctx_->err) {
        drop("connect");
        return false;
    }
    // Bounds every later send and receive: a stopped or partitioned server
    // costs at most `timeout` per call.
    if (redisSetTimeout(ctx_, to_timeval(config_.timeout)) != REDIS_OK) {
        drop("connect");
        return false;
    }
    redisEnableKeepAlive(ctx_);
    auto setup = [&](const std::vector<std::string>& argv) {
        Reply reply = send(argv);
        return reply && reply->type != REDIS_REPLY_ERROR;
    };
    if ((!config_.password.empty() && !setup({"AUTH", config_.password})) ||
        (config_.db != 0 && !setup({"SELECT", std::to_string(config_.db)}))) {
        drop("auth/select");
        return false;
    }
    log::info(log::Line("state_store_connected").add("backend", "redis")
                  .add("server", config_.host + ":" + std::to_string(config_.port)));
    return true;
}

// One command on the open connection, binary-safe; null on I/O error or timeout.
RedisStore::Reply RedisStore::send(const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
    }
    return Reply(static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data())));
}

StoreResult<RedisStore::Reply> RedisStore::command(const std::vector<std::string>& argv) {
    if (!ctx_) {
        if (std::chrono::steady_clock::now() < down_until_) return last_error_;
        if (!connect()) return last_error_;
    }
    Reply reply = send(argv);
    if (!reply) {  // I/O error, EOF or timeout: the connection is unusable
        drop(argv.front().c_str());
        return last_error_;
    }
    if (reply->type == REDIS_REPLY_ERROR) {  // LOADING, NOAUTH, OOM, a script error
        log::warn(log::Line("state_store_error").add("backend", "redis").add("op", argv.front())
                      .add("error", std::string_view(reply->str, reply->len).substr(0, 100)));
        return store_error::unavailable;
    }
    return reply;
}

StoreResult<Versioned> RedisStore::do_get(const std::string& key, TimePoint now) {
    auto reply = command({"HMGET", prefix_ + key, "v", "f", "l", "p", "e"});
    if (!reply) return reply.error();
    const redisReply* r = reply->get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) return store_error::unavailable;
    Versioned out;
    if (r->element[0]->type == REDIS_REPLY_NIL) return out;
    out.version = static_cast<std::uint64_t>(to_int(r->element[0]));
    GreylistRecord rec;
    rec.first_seen = TimePoint(Seconds(to_int(r->element[1])));
    rec.last_seen = TimePoint(Seconds(to_int(r->element[2])));
    rec.pass_count = static_cast<std::uint32_t>(to_int(r->element[3]));
    rec.expires_at = TimePoint(Seconds(to_int(r->element[4])));
    if (rec.expires_at > now) out.record = rec;  // same rule as SQLite, whatever Redis's clock says
    return out;
}

StoreResult<bool> RedisStore::do_put(const std::string& key, const GreylistRecord& r, std::uint64_t expected,
                                     TimePoint now) {
    const auto ttl_ms = std::max<std::int64_t>(1000, (secs(r.expires_at) - secs(now)) * 1000);
    auto reply = command({"EVAL", put_script, "1", prefix_ + key, std::to_string(expected),
                          std::to_string(expected + 1), std::to_string(secs(r.first_seen)),
                          std::to_string(secs(r.last_seen)), std::to_string(r.pass_count),
                          std::to_string(secs(r.expires_at)), std::to_string(ttl_ms)});
    if (!reply) return StoreResult<bool>(boost::system::in_place_error, reply.error());
    return to_int(reply->get()) == 1;
}

StoreResult<std::uint64_t> RedisStore::do_increment(const std::string& key, Seconds window, TimePoint now) {
    const auto start = window_start(now, window);
    const auto ttl_ms = std::max<std::int64_t>(1000, (secs(start + window) - secs(now)) * 1000);
    auto reply = command({"EVAL", increment_script, "1", prefix_ + "rl:" + key + ":" + std::to_string(secs(start)),
                          std::to_string(ttl_ms)});
    if (!reply) return reply.error();
    return static_cast<std::uint64_t>(to_int(reply->get()));
}

// A mark is a string holding its expires_at, with a TTL: Redis drops it, and
// reading compares expires_at with `now`, the same rule as SQLite's.
StoreResult<void> RedisStore::do_set_mark(const std::string& key, TimePoint expires_at, TimePoint now) {
    const auto ttl_ms = std::max<std::int64_t>(1000, (secs(expires_at) - secs(now)) * 1000);
    auto reply = command({"SET", prefix_ + key, std::to_string(secs(expires_at)), "PX", std::to_string(ttl_ms)});
    if (!reply) return reply.error();
    return {};
}

StoreResult<void> RedisStore::do_report_append(const std::string& stream, const std::string& row, TimePoint now,
                                               TimePoint expires_at) {
    const auto ttl_ms = std::max<std::int64_t>(1000, (secs(expires_at) - secs(now)) * 1000);
    std::string element = std::to_string(secs(now)) + " " + std::to_string(secs(expires_at)) + " " + row;
    auto reply = command({"EVAL", report_append_script, "1", report_key(prefix_, stream, window_start(now, report_day)),
                          std::move(element), std::to_string(ttl_ms)});
    if (!reply) return reply.error();
    return {};
}

StoreResult<bool> RedisStore::do_has_mark(const std::string& key, TimePoint now) {
    auto reply = command({"GET", prefix_ + key});
    if (!reply) return StoreResult<bool>(boost::system::in_place_error, reply.error());
    const redisReply* r = reply->get();
    if (r->type == REDIS_REPLY_NIL) return false;
    return to_int(r) > secs(now);
}

StoreResult<std::vector<ReportRow>> RedisStore::do_report_rows(const std::string& stream, TimePoint since,
                                                              TimePoint until, TimePoint now) {
    std::vector<ReportRow> rows;
    for (TimePoint day = window_start(since, report_day); day < until; day += report_day) {
        auto reply = command({"LRANGE", report_key(prefix_, stream, day), "0", "-1"});
        if (!reply) return reply.error();
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY) return store_error::unavailable;
        for (std::size_t i = 0; i < r->elements; ++i) {
            if (r->element[i]->type != REDIS_REPLY_STRING) continue;
            const std::string_view element(r->element[i]->str, r->element[i]->len);
            const auto first = element.find(' ');
            const auto second = first == std::string_view::npos ? first : element.find(' ', first + 1);
            if (second == std::string_view::npos) continue;  // not written by report_append
            const TimePoint recorded_at{Seconds(std::strtoll(element.data(), nullptr, 10))};
            const TimePoint expires_at{Seconds(std::strtoll(element.data() + first + 1, nullptr, 10))};
            if (recorded_at < since || recorded_at >= until || expires_at <= now) continue;
            rows.push_back({recorded_at, std::string(element.substr(second + 1))});
        }
    }
    return rows;
}

asio::awaitable<StoreResult<Versioned>> RedisStore::greylist_get(std::string key, TimePoint now) {
    auto work = [this, key = std::move(key), now] { return do_get(key, now); };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<bool>> RedisStore::greylist_put(std::string key, GreylistRecord record,
                                                            std::uint64_t expected_version, TimePoint now) {
    auto work = [this, key = std::move(key), record, expected_version, now] {
        return do_put(key, record, expected_version, now);
    };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<std::uint64_t>> RedisStore::increment(std::string key, Seconds window, TimePoint now) {
    auto work = [this, key = std::move(key), window, now] { return do_increment(key, window, now); };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<std::uint64_t>> RedisStore::expire(TimePoint) {
    co_return StoreResult<std::uint64_t>(std::uint64_t{0});  // Redis expires keys by their TTLs
}

asio::awaitable<StoreResult<void>> RedisStore::set_mark(std::string key, TimePoint expires_at, TimePoint now) {
    auto work = [this, key = std::move(key), expires_at, now] { return do_set_mark(key, expires_at, now); };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<bool>> RedisStore::has_mark(std::string key, TimePoint now) {
    auto work = [this, key = std::move(key), now] { return do_has_mark(key, now); };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<void>> RedisStore::report_append(std::string stream, std::string row, TimePoint now,
                                                           TimePoint expires_at) {
    auto work = [this, stream = std::move(stream), row = std::move(row), now, expires_at] {
        return do_report_append(stream, row, now, expires_at);
    };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<std::vector<ReportRow>>> RedisStore::report_rows(std::string stream, TimePoint since,
                                                                             TimePoint until, TimePoint now) {
    auto work = [this, stream = std::move(stream), since, until, now] {
        return do_report_rows(stream, since, until, now);
    };
    co_return co_await on_thread(thread_, std::move(work));
}

}  // namespace mxgate::filters::state
