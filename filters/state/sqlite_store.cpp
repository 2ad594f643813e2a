#include "filters/state/sqlite_store.hpp"

#include "proxy/core/log.hpp"
#include "filters/state/on_thread.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include <type_traits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sqlite3.h>

namespace mxgate::filters::state {

namespace asio = boost::asio;

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS greylist (
    key        TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    pass_count INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS greylist_expires_at ON greylist(expires_at);
CREATE TABLE IF NOT EXISTS counters (
    key        TEXT PRIMARY KEY,
    count      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counters_expires_at ON counters(expires_at);
CREATE TABLE IF NOT EXISTS marks (
    key        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS marks_expires_at ON marks(expires_at);
CREATE TABLE IF NOT EXISTS report_rows (
    id          INTEGER PRIMARY KEY,
    stream      TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    row         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS report_rows_stream ON report_rows(stream, recorded_at);
CREATE INDEX IF NOT EXISTS report_rows_expires_at ON report_rows(expires_at);
)sql";

struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Resets a statement when the call is done with it, whatever the path.
struct Reset {
    sqlite3_stmt* s;
    ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
};

std::int64_t secs(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint at(std::int64_t s) { return TimePoint(Seconds(s)); }

}  // namespace

struct SqliteStore::Statements {
    Stmt get, insert, update, increment, expire_greylist, expire_counters;
    Stmt set_mark, has_mark, expire_marks;
    Stmt report_append, report_rows, expire_report_rows;
};

SqliteStore::SqliteStore(const SqliteConfig& config, std::string key_prefix)
    : path_(config.path), prefix_(std::move(key_prefix)), stmts_(std::make_unique<Statements>()) {
    // NOMUTEX: only thread_ touches the connection (the constructor runs before
    // any call can be queued).
    // Created here, not by SQLite (0644 less umask): its -wal and -shm files copy this mode.
    if (const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
    int rc = sqlite3_open_v2(path_.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto check = [&](int code, const char* what) {
        if (code == SQLITE_OK) return;
        std::string msg = std::string("state store: sqlite ") + what + " " + path_ + ": " +
                          (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code));
        stmts_.reset();
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error(msg);
    };
    check(rc, "open");
    check(sqlite3_busy_timeout(db_, static_cast<int>(config.busy_timeout.count())), "busy_timeout");
    // WAL: one writer and concurrent readers, crash-safe; NORMAL sync is durable
    // enough for greylisting (a lost last second of entries only re-greylists).
    check(sqlite3_exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, nullptr),
          "pragma");
    check(sqlite3_exec(db_, schema, nullptr, nullptr, nullptr), "schema");
    auto prepare = [&](Stmt& out, const char* sql) {
        sqlite3_stmt* s = nullptr;
        check(sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr), "prepare");
        out.reset(s);
    };
    prepare(stmts_->get,
            "SELECT version, first_seen, last_seen, pass_count, expires_at FROM greylist WHERE key = ?1");
    prepare(stmts_->insert,
            "INSERT INTO greylist (key, version, first_seen, last_seen, pass_count, expires_at) "
            "VALUES (?1, 1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO NOTHING");
    prepare(stmts_->update,
            "UPDATE greylist SET version = version + 1, first_seen = ?2, last_seen = ?3, pass_count = ?4, "
            "expires_at = ?5 WHERE key = ?1 AND version = ?6");
    // One statement: the read-increment-write is atomic even across processes.
    prepare(stmts_->increment,
            "INSERT INTO counters (key, count, expires_at) VALUES (?1, 1, ?2) "
            "ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count");
    prepare(stmts_->expire_greylist, "DELETE FROM greylist WHERE expires_at <= ?1");
    prepare(stmts_->expire_counters, "DELETE FROM counters WHERE expires_at <= ?1");
    prepare(stmts_->set_mark,
            "INSERT INTO marks (key, expires_at) VALUES (?1, ?2) "
            "ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at");
    prepare(stmts_->has_mark, "SELECT 1 FROM marks WHERE key = ?1 AND expires_at > ?2");
    prepare(stmts_->expire_marks, "DELETE FROM marks WHERE expires_at <= ?1");
    prepare(stmts_->report_append,
            "INSERT INTO report_rows (stream, recorded_at, expires_at, row) VALUES (?1, ?2, ?3, ?4)");
    prepare(stmts_->report_rows,
            "SELECT recorded_at, row FROM report_rows WHERE stream = ?1 AND recorded_at >= ?2 AND recorded_at < ?3 "
            "AND expires_at > ?4 ORDER BY id");
    prepare(stmts_->expire_report_rows, "DELETE FROM report_rows WHERE expires_at <= ?1");
}

SqliteStore::~SqliteStore() {
    thread_.join();  // finish queued calls first; they use db_
    stmts_.reset();
    if (db_) sqlite3_close(db_);
}

boost::system::error_code SqliteStore::fail(const char* what, int rc) {
    log::warn(log::Line("state_store_error").add("backend", "sqlite").add("op", what).add("path", path_)
                  .add("rc", rc).add("error", sqlite3_errmsg(db_)));
    return store_error::unavailable;
}

StoreResult<Versioned> SqliteStore::do_get(const std::string& key, TimePoint now) {
    auto* s = stmts_->get.get();
    Reset reset{s};
    const std::string full = prefix_ + key;
    sqlite3_bind_text(s, 1, full.data(), static_cast<int>(full.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return Versioned{};
    if (rc != SQLITE_ROW) return fail("greylist_get", rc);
    Versioned out;
    out.version = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    GreylistRecord r;
    r.first_seen = at(sqlite3_column_int64(s, 1));
    r.last_seen = at(sqlite3_column_int64(s, 2));
    r.pass_count = static_cast<std::uint32_t>(sqlite3_column_int64(s, 3));
    r.expires_at = at(sqlite3_column_int64(s, 4));
    if (r.expires_at > now) out.record = r;  // expired but not yet swept: absent, version still counts
    return out;
}

StoreResult<bool> SqliteStore::do_put(const std::string& key, const GreylistRecord& r, std::uint64_t expected) {
    auto* s = expected == 0 ? stmts_->insert.get() : stmts_->update.get();
    Reset reset{s};
    const std::string full = prefix_ + key;
    sqlite3_bind_text(s, 1, full.data(), static_cast<int>(full.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, secs(r.first_seen));
    sqlite3_bind_int64(s, 3, secs(r.last_seen));
    sqlite3_bind_int64(s, 4, r.pass_count);
    sqlite3_bind_int64(s, 5, secs(r.expires_at));
    if (expected != 0) sqlite3_bind_int64(s, 6, static_cast<std::int64_t>(expected));
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return StoreResult<bool>(boost::system::in_place_error, fail("greylist_put", rc));
    return sqlite3_changes(db_) == 1;
}

StoreResult<std::uint64_t> SqliteStore::do_increment(const std::string& key, Seconds window, TimePoint now) {
    auto* s = stmts_->increment.get();
    Reset reset{s};
    const auto start = window_start(now, window);
    const std::string full = prefix_ + "rl:" + key + ":" + std::to_string(secs(start));
    sqlite3_bind_text(s, 1, full.data(), static_cast<int>(full.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, secs(start + window));
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return fail("increment", rc);
    const auto count = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    if (const int done = sqlite3_step(s); done != SQLITE_DONE) return fail("increment", done);
    return count;
}

StoreResult<std::uint64_t> SqliteStore::do_expire(TimePoint now) {
    std::uint64_t removed = 0;
    for (auto* s : {stmts_->expire_greylist.get(), stmts_->expire_counters.get(), stmts_->expire_marks.get(),
                    stmts_->expire_report_rows.get()}) {
        Reset reset{s};
        sqlite3_bind_int64(s, 1, secs(now));
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) return fail("expire", rc);
        removed += static_cast<std::uint64_t>(sqlite3_changes(db_));
    }
    return removed;
}

StoreResult<void> SqliteStore::do_set_mark(const std::string& key, TimePoint expires_at) {
    auto* s = stmts_->set_mark.get();
    Reset reset{s};
    const std::string full = prefix_ + key;
    sqlite3_bind_text(s, 1, full.data(), static_cast<int>(full.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, secs(expires_at));
    if (const int rc = sqlite3_step(s); rc != SQLITE_DONE) return fail("set_mark", rc);
    return {};
}

StoreResult<bool> SqliteStore::do_has_mark(const std::string& key, TimePoint now) {
    auto* s = stmts_->has_mark.get();
    Reset reset{s};
    const std::string full = prefix_ + key;
    sqlite3_bind_text(s, 1, full.data(), static_cast<int>(full.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, secs(now));
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return StoreResult<bool>(boost::system::in_place_error, fail("has_mark", rc));
}

StoreResult<void> SqliteStore::do_report_append(const std::string& stream, const std::string& row, TimePoint now,
                                                TimePoint expires_at) {
    auto* s = stmts_->report_append.get();
    Reset reset{s};
    const std::string full = prefix_ + stream;
    sqlite3_bind_text(s, 1, full.data(), static_cast<int>(full.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, secs(now));
    sqlite3_bind_int64(s, 3, secs(expires_at));
    sqlite3_bind_text(s, 4, row.data(), static_cast<int>(row.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return fail("report_append", rc);
    return {};
}

StoreResult<std::vector<ReportRow>> SqliteStore::do_report_rows(const std::string& stream, TimePoint since,
                                                               TimePoint until, TimePoint now) {
    auto* s = stmts_->report_rows.get();
    Reset reset{s};
    const std::string full = prefix_ + stream;
    sqlite3_bind_text(s, 1, full.data(), static_cast<int>(full.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, secs(since));
    sqlite3_bind_int64(s, 3, secs(until));
    sqlite3_bind_int64(s, 4, secs(now));
    std::vector<ReportRow> rows;
    for (;;) {
        const int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE) return rows;
        if (rc != SQLITE_ROW) return fail("report_rows", rc);
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
        rows.push_back({at(sqlite3_column_int64(s, 0)),
                        std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 1)))});
    }
}

asio::awaitable<StoreResult<Versioned>> SqliteStore::greylist_get(std::string key, TimePoint now) {
    auto work = [this, key = std::move(key), now] { return do_get(key, now); };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<bool>> SqliteStore::greylist_put(std::string key, GreylistRecord record,
                                                             std::uint64_t expected_version, TimePoint) {
    auto work = [this, key = std::move(key), record, expected_version] {
        return do_put(key, record, expected_version);
    };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<std::uint64_t>> SqliteStore::increment(std::string key, Seconds window, TimePoint now) {
    auto work = [this, key = std::move(key), window, now] { return do_increment(key, window, now); };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<std::uint64_t>> SqliteStore::expire(TimePoint now) {
    auto work = [this, now] { return do_expire(now); };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<void>> SqliteStore::set_mark(std::string key, TimePoint expires_at, TimePoint) {
    auto work = [this, key = std::move(key), expires_at] { return do_set_mark(key, expires_at); };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<bool>> SqliteStore::has_mark(std::string key, TimePoint now) {
    auto work = [this, key = std::move(key), now] { return do_has_mark(key, now); };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<void>> SqliteStore::report_append(std::string stream, std::string row, TimePoint now,
                                                            TimePoint expires_at) {
    auto work = [this, stream = std::move(stream), row = std::move(row), now, expires_at] {
        return do_report_append(stream, row, now, expires_at);
    };
    co_return co_await on_thread(thread_, std::move(work));
}

asio::awaitable<StoreResult<std::vector<ReportRow>>> SqliteStore::report_rows(std::string stream, TimePoint since,
                                                                              TimePoint until, TimePoint now) {
    auto work = [this, stream = std::move(stream), since, until, now] {
        return do_report_rows(stream, since, until, now);
    };
    co_return co_await on_thread(thread_, std::move(work));
}

}  // namespace mxgate::filters::state
