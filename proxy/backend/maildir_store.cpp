// The Maildir Transaction. Blocking calls that can take long (fsync) run on the
// PoolCore's disk threads; mkdir/open/write stay on the worker (page cache).
#include "proxy/backend/maildir_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/backend/backend_log.hpp"
#include "proxy/backend/durable_files.hpp"
#include "proxy/backend/pool_core.hpp"
#include "proxy/core/text.hpp"
#include "proxy/smtp/data_reader.hpp"

namespace mxgate::backend {

namespace {

// Like a domain's real MX without that user (Postfix unknown_local_recipient_reject_code).
core::Reply user_unknown() { return core::make_reply(550, "5.1.1", "Recipient address rejected: User unknown"); }

core::Reply storage_failure() {
    return core::make_reply(451, "4.3.0", "Temporary failure storing the message, try again later");
}

// RFC 5321 §4.1.2: "john"@x and john@x are the same mailbox; the quotes and
// quoted-pair backslashes are syntax, not part of the name.
std::string unquote(std::string_view local) {
    if (local.size() < 2 || local.front() != '"' || local.back() != '"') return std::string(local);
    std::string out;
    for (std::size_t i = 1; i + 1 < local.size(); ++i) {
        if (local[i] == '\\' && i + 2 < local.size()) ++i;
        out += local[i];
    }
    return out;
}

std::string error_text(int err) { return std::strerror(err); }

// <root>/<domain>/<local>/{tmp,new,cur}, each created when missing, the root
// too (like mkdir -p), so a fresh install delivers without a setup step.
int ensure_mailbox(const std::string& root, const std::string& mailbox) {
    if (int err = make_dirs(root); err != 0) return err;
    const std::size_t domain_end = mailbox.find('/', root.size() + 1);
    for (const std::string& dir : {mailbox.substr(0, domain_end), mailbox, mailbox + "/tmp", mailbox + "/new",
                                   mailbox + "/cur"}) {
        if (int err = make_dir(dir); err != 0) return err;
    }
    return 0;
}

// 0 or an errno; the copy is fsync'ed.
int copy_file(const std::string& from, const std::string& to) {
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return errno;
    const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        const int err = errno;
        ::close(in);
        return err;
    }
    int err = 0;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(in, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            err = errno;
            break;
        }
        if (n == 0) break;
        if (!write_all(out, std::string_view(buffer, static_cast<std::size_t>(n)))) {
            err = errno;
            break;
        }
    }
    if (err == 0 && ::fsync(out) != 0) err = errno;
    if (::close(out) != 0 && err == 0) err = errno;
    ::close(in);
    if (err != 0) ::unlink(to.c_str());
    return err;
}

class MaildirTransaction final : public Transaction {
public:
    MaildirTransaction(std::shared_ptr<PoolCore> core, std::shared_ptr<const config::Config> config,
                       config::Backend backend, Envelope envelope)
        : core_(std::move(core)),
          config_(std::move(config)),
          backend_(std::move(backend)),
          envelope_(std::move(envelope)) {
        while (backend_.path.size() > 1 && backend_.path.back() == '/') backend_.path.pop_back();
    }
    ~MaildirTransaction() override { discard(); }

    asio::awaitable<core::Reply> add_recipient(const Recipient& recipient) override {
        const std::string domain = core::ascii_lower(recipient.address.domain);
        const std::string local = core::ascii_lower(unquote(recipient.address.local));
        if (!valid_mailbox_component(domain) || !valid_mailbox_component(local)) {
            log::info(backend_line("backend_mailbox_refused", describe()).add("recipient", recipient.address.str()));
            co_return core::make_reply(550, "5.1.1", "Mailbox name not allowed");
        }
        if (!listed(local, domain)) {
            log::info(backend_line("backend_no_mailbox", describe()).add("recipient", recipient.address.str()));
            co_return user_unknown();
        }
        std::string mailbox = backend_.path + "/" + domain + "/" + local;
        if (std::find(mailboxes_.begin(), mailboxes_.end(), mailbox) != mailboxes_.end())
            co_return core::make_reply(250, "2.1.5", "Ok");  // one copy per mailbox, whatever the spelling
        // Answered here, per recipient, so the client keeps the others and retries the rest.
        struct stat st {};
        if (::stat(mailbox.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            if (!backend_.create_mailboxes) {
                log::info(backend_line("backend_no_mailbox_folder", describe()).add("recipient", recipient.address.str()));
                co_return user_unknown();
            }
            if (new_mailboxes_ >= backend_.max_new_mailboxes_per_message) {
                log::info(backend_line("backend_new_mailboxes_limit", describe()).add("recipient", recipient.address.str())
                              .add("limit", static_cast<long long>(backend_.max_new_mailboxes_per_message)));
                co_return core::make_reply(452, "4.5.3", "Too many new mailboxes in one message, send the rest later");
            }
            ++new_mailboxes_;
        }
        mailboxes_.push_back(std::move(mailbox));
        co_return core::make_reply(250, "2.1.5", "Ok");
    }

    asio::awaitable<core::Reply> begin_data() override {
        if (mailboxes_.empty()) co_return core::make_reply(554, "5.5.1", "No valid recipients");
        if (fd_ >= 0 || failed_) co_return storage_failure();
        if (int err = ensure_mailbox(backend_.path, mailboxes_.front()); err != 0) {
            log::warn(backend_line("backend_store_failed", describe()).add("op", "mkdir")
                          .add("path", mailboxes_.front()).add("error", error_text(err)));
            failed_ = true;
            co_return storage_failure();
        }
        base_name_ = maildir_unique_name();
        tmp_path_ = mailboxes_.front() + "/tmp/" + base_name_;
        fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd_ < 0) {
            log::warn(backend_line("backend_store_failed", describe()).add("op", "create").add("path", tmp_path_)
                          .add("error", error_text(errno)));
            tmp_path_.clear();
            failed_ = true;
            co_return storage_failure();
        }
        // RFC 5321 §4.4: the final delivery records the reverse-path.
        if (!store("Return-Path: <" + envelope_.sender.str() + ">\n")) {
            failed_ = true;
            co_return storage_failure();
        }
        co_return core::make_reply(354, "", "End data with <CR><LF>.<CR><LF>");
    }

    asio::awaitable<bool> write(std::string_view content) override {
        if (failed_ || fd_ < 0) co_return false;
        buffer_.clear();
        unstuff_.transform(content, buffer_);
        co_return store(buffer_);
    }

    asio::awaitable<core::Reply> end_data() override {
        if (failed_ || fd_ < 0) {
            discard();
            co_return storage_failure();
        }
        // fsync can take long: off the worker thread, then back (co_spawn completes on our executor).
        std::string error;
        auto work = [this, &error]() -> asio::awaitable<std::string> { co_return deliver(error); };
        std::string name = co_await asio::co_spawn(core_->disk(), std::move(work), asio::use_awaitable);
        if (name.empty()) {
            log::warn(backend_line("backend_store_failed", describe()).add("op", "deliver").add("error", error));
            discard();
            co_return storage_failure();
        }
        delivered_ = true;
        log::debug(backend_line("backend_delivered", describe()).add("file", name)
                       .add("mailboxes", static_cast<long long>(mailboxes_.size())));
        co_return core::make_reply(250, "2.0.0", "Ok: delivered as " + name);
    }

    std::string describe() const override { return backend_.name + " maildir"; }

private:
    // backends.<name>.mailboxes: empty = every local part; entries are lower case.
    bool listed(const std::string& local, const std::string& domain) const {
        const auto& list = backend_.mailboxes;
        return list.empty() || std::find(list.begin(), list.end(), local) != list.end() ||
               std::find(list.begin(), list.end(), local + "@" + domain) != list.end();
    }

    bool store(std::string_view data) {
        if (write_all(fd_, data)) {
            size_ += data.size();
            return true;
        }
        log::warn(backend_line("backend_store_failed", describe()).add("op", "write").add("path", tmp_path_)
                      .add("error", error_text(errno)));
        failed_ = true;
        discard();
        return false;
    }

    // Blocking; runs on a disk thread while the coroutine waits. Returns the
    // name in new/, or "" with `error` set and nothing left behind.
    std::string deliver(std::string& error) {
        std::vector<std::string> tmp_files{tmp_path_};
        std::vector<std::string> new_files;
        auto failed = [&](const std::string& what, int err) {
            error = what + ": " + error_text(err);
            for (const auto& path : new_files) ::unlink(path.c_str());
            for (std::size_t i = 1; i < tmp_files.size(); ++i)
                if (!tmp_files[i].empty()) ::unlink(tmp_files[i].c_str());
            return std::string();  // the first tmp file is discard()'s
        };
        if (::fsync(fd_) != 0) return failed("fsync " + tmp_path_, errno);
        const int close_result = ::close(fd_);
        fd_ = -1;
        if (close_result != 0) return failed("close " + tmp_path_, errno);

        for (std::size_t i = 1; i < mailboxes_.size(); ++i) {
            if (int err = ensure_mailbox(backend_.path, mailboxes_[i]); err != 0)
                return failed("create " + mailboxes_[i], err);
            std::string target = mailboxes_[i] + "/tmp/" + base_name_;
            // A hard link shares the fsync'ed inode; another file system needs a copy.
            if (::link(tmp_path_.c_str(), target.c_str()) != 0) {
                if (int err = copy_file(tmp_path_, target); err != 0) return failed("copy to " + target, err);
            }
            tmp_files.push_back(std::move(target));
        }
        const std::string name = base_name_ + ",S=" + std::to_string(size_);
        for (std::size_t i = 0; i < mailboxes_.size(); ++i) {
            std::string target = mailboxes_[i] + "/new/" + name;
            if (::rename(tmp_files[i].c_str(), target.c_str()) != 0) return failed("rename to " + target, errno);
            if (i == 0) tmp_path_.clear();
            tmp_files[i].clear();
            new_files.push_back(std::move(target));
        }
        for (const auto& mailbox : mailboxes_) {
            if (int err = fsync_dir(mailbox + "/new"); err != 0) return failed("fsync " + mailbox + "/new", err);
        }
        return name;
    }

    // Drops an unfinished message: no file stays in tmp/.
    void discard() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        if (!delivered_ && !tmp_path_.empty()) {
            ::unlink(tmp_path_.c_str());
            tmp_path_.clear();
        }
    }

    std::shared_ptr<PoolCore> core_;
    std::shared_ptr<const config::Config> config_;
    config::Backend backend_;
    Envelope envelope_;
    std::vector<std::string> mailboxes_;  // first: where the message is written
    unsigned new_mailboxes_ = 0;          // of mailboxes_, those whose folder does not exist yet
    int fd_ = -1;
    std::string base_name_;
    std::string tmp_path_;
    std::uint64_t size_ = 0;
    bool failed_ = false;
    bool delivered_ = false;
    smtp::UnstuffToLf unstuff_;
    std::string buffer_;
};

}  // namespace

bool valid_mailbox_component(std::string_view component) {
    if (component.empty() || component == "." || component == ".." || component.front() == '.') return false;
    for (char c : component) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '/' || u < 0x20 || u == 0x7f) return false;
    }
    return true;
}

std::string maildir_unique_name() {
    static std::atomic<unsigned long> counter{0};
    static const std::string host = [] {
        char name[256] = {};
        if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return std::string("localhost");
        std::string out;
        for (const char* p = name; *p != '\0'; ++p) {
            if (*p == '/') {
                out += "\\057";
            } else if (*p == ':') {
                out += "\\072";
            } else {
                out += *p;
            }
        }
        return out;
    }();
    struct timeval now {};
    ::gettimeofday(&now, nullptr);
    return std::to_string(now.tv_sec) + ".M" + std::to_string(now.tv_usec) + "P" + std::to_string(::getpid()) +
           "Q" + std::to_string(++counter) + "." + host;
}

std::unique_ptr<Transaction> make_maildir_transaction(std::shared_ptr<PoolCore> core,
                                                      std::shared_ptr<const config::Config> config,
                                                      const config::Backend& backend, const Envelope& envelope) {
    return std::make_unique<MaildirTransaction>(std::move(core), std::move(config), backend, envelope);
}

}  // namespace mxgate::backend
