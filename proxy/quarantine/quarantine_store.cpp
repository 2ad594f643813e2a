#include "proxy/quarantine/quarantine_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "proxy/backend/durable_files.hpp"

namespace mxgate::quarantine {

namespace {

using backend::fsync_dir;
using backend::make_dir;
using backend::write_all;

constexpr std::int64_t orphan_age_seconds = 3600;  // nothing takes this long between tmp/ and new/

std::string failure(const std::string& what, int err) { return what + ": " + std::strerror(err); }

std::vector<std::string> names_in(const std::string& folder) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(folder.c_str());
    if (!dir) return names;
    while (const dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

std::optional<std::int64_t> modified(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return static_cast<std::int64_t>(st.st_mtime);
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string folder_of(ItemState state) { return state == ItemState::held ? "new" : "releasing"; }

}  // namespace

std::string_view to_string(ItemState state) { return state == ItemState::held ? "held" : "releasing"; }

std::string directory_problem(const std::string& directory) {
    struct stat st {};
    if (::stat(directory.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return "not a directory";
        if (::access(directory.c_str(), W_OK | X_OK) != 0) return failure("not writable", errno);
        return {};
    }
    const auto slash = directory.find_last_of('/');
    const std::string parent = slash == 0 ? "/" : directory.substr(0, slash);
    if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return "does not exist, nor does the folder it would be created in";
    if (::access(parent.c_str(), W_OK | X_OK) != 0) return failure("cannot be created", errno);
    return {};
}

QuarantineStore::QuarantineStore(std::string directory) : directory_(std::move(directory)) {
    while (directory_.size() > 1 && directory_.back() == '/') directory_.pop_back();
}

std::string QuarantineStore::path(std::string_view folder, std::string_view name) const {
    return directory_ + "/" + std::string(folder) + "/" + std::string(name);
}

std::string QuarantineStore::message_path(std::string_view id, ItemState state) const {
    return path(folder_of(state), id);
}

// ---- writing ----

QuarantineStore::Writer::Writer(const QuarantineStore& store, std::string id)
    : directory_(store.directory_), id_(std::move(id)) {
    for (const std::string& folder : {store.directory_, store.directory_ + "/tmp", store.directory_ + "/meta",
                                      store.directory_ + "/new", store.directory_ + "/releasing"}) {
        if (int err = make_dir(folder); err != 0) {
            error_ = failure("mkdir " + folder, err);
            return;
        }
    }
    const std::string tmp = store.path("tmp", id_);
    fd_ = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) error_ = failure("create " + tmp, errno);
}

QuarantineStore::Writer::Writer(Writer&& other) noexcept
    : directory_(std::move(other.directory_)), id_(std::move(other.id_)), fd_(other.fd_), size_(other.size_),
      at_line_start_(other.at_line_start_), committed_(other.committed_), error_(std::move(other.error_)) {
    other.fd_ = -1;
    other.committed_ = true;  // nothing left for it to discard
}

QuarantineStore::Writer::~Writer() { discard(); }

void QuarantineStore::Writer::discard() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!committed_ && !id_.empty()) ::unlink(store().path("tmp", id_).c_str());
}

bool QuarantineStore::Writer::append(std::string_view wire_content) {
    if (!error_.empty() || fd_ < 0) return false;
    // RFC 5321 §4.5.2: a dot at the start of a line is transparency, not content.
    buffer_.clear();
    for (char c : wire_content) {
        if (!(at_line_start_ && c == '.')) buffer_ += c;
        at_line_start_ = c == '\n';
    }
    if (!write_all(fd_, buffer_)) {
        error_ = failure("write " + store().path("tmp", id_), errno);
        return false;
    }
    size_ += buffer_.size();
    return true;
}

std::string QuarantineStore::Writer::commit(Item& item) {
    if (!error_.empty() || fd_ < 0) return error_.empty() ? "not open" : error_;
    const std::string tmp = store().path("tmp", id_);
    const std::string held = store().path("new", id_);
    item.id = id_;
    item.size = size_;
    auto fail = [&](std::string why) {
        ::unlink(held.c_str());
        ::unlink(store().path("meta", id_ + ".json").c_str());
        error_ = std::move(why);
        return error_;
    };
    if (::fsync(fd_) != 0) return fail(failure("fsync " + tmp, errno));
    const int closed = ::close(fd_);
    fd_ = -1;
    if (closed != 0) return fail(failure("close " + tmp, errno));
    if (auto problem = store().write_metadata(item); !problem.empty()) return fail(problem);
    if (::rename(tmp.c_str(), held.c_str()) != 0) return fail(failure("rename to " + held, errno));
    for (const char* folder : {"meta", "new"})
        if (int err = fsync_dir(directory_ + "/" + folder); err != 0)
            return fail(failure("fsync " + directory_ + "/" + folder, err));
    committed_ = true;
    return {};
}

QuarantineStore::Writer QuarantineStore::begin() const { return Writer(*this, new_id()); }

std::string QuarantineStore::write_metadata(const Item& item) const {
    const std::string tmp = path("tmp", item.id + ".json");
    const std::string target = path("meta", item.id + ".json");
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return failure("create " + tmp, errno);
    std::string problem;
    if (!write_all(fd, serialize_item(item))) problem = failure("write " + tmp, errno);
    else if (::fsync(fd) != 0) problem = failure("fsync " + tmp, errno);
    if (::close(fd) != 0 && problem.empty()) problem = failure("close " + tmp, errno);
    if (problem.empty() && ::rename(tmp.c_str(), target.c_str()) != 0) problem = failure("rename to " + target, errno);
    if (!problem.empty()) ::unlink(tmp.c_str());
    return problem;
}

// ---- reading and administration ----

std::optional<StoredItem> QuarantineStore::find(std::string_view id) const {
    if (!valid_id(id)) return std::nullopt;
    std::optional<ItemState> state;
    for (ItemState candidate : {ItemState::held, ItemState::releasing})
        if (exists(message_path(id, candidate))) state = candidate;
    if (!state) return std::nullopt;
    std::ifstream in(path("meta", std::string(id) + ".json"), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto item = parse_item(text.str());
    if (!item || item->id != id) return std::nullopt;
    return StoredItem{std::move(*item), *state};
}

std::vector<StoredItem> QuarantineStore::list(const ItemFilter& filter) const {
    std::vector<StoredItem> items;
    for (const char* folder : {"new", "releasing"})
        for (const auto& name : names_in(directory_ + "/" + folder)) {
            auto found = find(name);
            if (found && matches(found->item, filter)) items.push_back(std::move(*found));
        }
    std::sort(items.begin(), items.end(), [](const StoredItem& a, const StoredItem& b) {
        return std::pair(a.item.received, a.item.id) < std::pair(b.item.received, b.item.id);
    });
    return items;
}

std::string QuarantineStore::claim(std::string_view id, bool force) const {
    if (!valid_id(id)) return "not a quarantine id";
    const std::string held = message_path(id, ItemState::held);
    const std::string releasing = message_path(id, ItemState::releasing);
    if (::rename(held.c_str(), releasing.c_str()) == 0) {
        // Not undone on failure: the claim holds, and a retry needs --force, as after a crash.
        if (int err = fsync_dir(directory_ + "/releasing"); err != 0)
            return failure("fsync " + directory_ + "/releasing", err);
        return {};
    }
    if (errno != ENOENT) return failure("rename to " + releasing, errno);
    if (!exists(releasing)) return "no such item";
    if (!force) return "already being released (or a release crashed: see `list`, then `release --force`)";
    return {};
}

std::string QuarantineStore::unclaim(std::string_view id) const {
    const std::string held = message_path(id, ItemState::held);
    if (::rename(message_path(id, ItemState::releasing).c_str(), held.c_str()) != 0)
        return failure("rename to " + held, errno);
    return {};
}

std::string QuarantineStore::update(const Item& item) const {
    if (auto problem = write_metadata(item); !problem.empty()) return problem;
    if (int err = fsync_dir(directory_ + "/meta"); err != 0) return failure("fsync " + directory_ + "/meta", err);
    return {};
}

std::string QuarantineStore::remove(std::string_view id) const {
    auto found = find(id);
    if (!found) return "no such item";
    const std::string message = message_path(id, found->state);
    if (::unlink(message.c_str()) != 0) return failure("unlink " + message, errno);
    ::unlink(path("meta", std::string(id) + ".json").c_str());  // an orphan otherwise: purge takes it
    return {};
}

std::vector<std::string> QuarantineStore::purge(std::int64_t now, std::chrono::seconds retention) const {
    std::vector<std::string> deleted;
    for (const auto& stored : list())
        if (stored.state == ItemState::held && stored.item.received < now - retention.count() &&
            remove(stored.item.id).empty())
            deleted.push_back(stored.item.id);
    auto stale = [&](const std::string& file) {
        const auto changed = modified(file);
        return changed && *changed < now - orphan_age_seconds;
    };
    for (const auto& name : names_in(directory_ + "/tmp"))
        if (stale(path("tmp", name))) ::unlink(path("tmp", name).c_str());
    for (const auto& name : names_in(directory_ + "/meta")) {
        const std::string id = name.size() > 5 ? name.substr(0, name.size() - 5) : name;
        if (!exists(message_path(id, ItemState::held)) && !exists(message_path(id, ItemState::releasing)) &&
            stale(path("meta", name)))
            ::unlink(path("meta", name).c_str());
    }
    return deleted;
}

}  // namespace mxgate::quarantine
