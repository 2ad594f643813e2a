// mxgate's own quarantine folder (quarantine.store: maildir). Layout, all 0700/0600:
//   <directory>/tmp/<id>             a message being written (never listed)
//   <directory>/meta/<id>.json       its metadata (quarantine_item.hpp)
//   <directory>/new/<id>             a quarantined message (what the backend would have got)
//   <directory>/releasing/<id>       claimed by a `release` that has not finished
// An item exists when its message is in new/ or releasing/. The metadata is
// renamed into meta/ before the message leaves tmp/, and both are fsync'ed with
// their folders before commit() succeeds, so a crash leaves no half item visible
// (only an orphan, which purge() removes). Claiming for release is one rename,
// new/ -> releasing/: of two concurrent releases only one can win it.
// Blocking file I/O; errors are values (a message naming the file and errno), never thrown.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/quarantine/quarantine_item.hpp"

namespace mxgate::quarantine {

enum class ItemState { held, releasing };
std::string_view to_string(ItemState state);

struct StoredItem {
    Item item;
    ItemState state = ItemState::held;
};

// Why `directory` cannot be a quarantine folder ("not writable: ...", parent missing), or "".
std::string directory_problem(const std::string& directory);

class QuarantineStore {
public:
    explicit QuarantineStore(std::string directory);

    // One message on its way in. Destroyed before commit() succeeds, it leaves nothing.
    class Writer {
    public:
        Writer(Writer&& other) noexcept;
        Writer& operator=(Writer&&) = delete;
        ~Writer();
        // Content as sent to a backend (dot-stuffed, CRLF); stored unstuffed. False once failed.
        bool append(std::string_view wire_content);
        // fsync, metadata, rename into new/, fsync of the folders. `item.id` and `size` are set here.
        // "" on success, else why not (and nothing stays behind).
        std::string commit(Item& item);
        const std::string& id() const noexcept { return id_; }
        const std::string& error() const noexcept { return error_; }

    private:
        friend class QuarantineStore;
        Writer(const QuarantineStore& store, std::string id);
        void discard();
        QuarantineStore store() const { return QuarantineStore(directory_); }

        std::string directory_;  // a copy: the writer may outlive the store it came from
        std::string id_;
        int fd_ = -1;
        std::uint64_t size_ = 0;
        bool at_line_start_ = true;
        bool committed_ = false;
        std::string error_;
        std::string buffer_;
    };

    // Creates the folders on first use (0700). A Writer whose error() is set has failed already.
    Writer begin() const;

    std::vector<StoredItem> list(const ItemFilter& filter = {}) const;
    std::optional<StoredItem> find(std::string_view id) const;
    std::string message_path(std::string_view id, ItemState state) const;

    // new/ -> releasing/ (with `force`, an item already in releasing/ is taken as it
    // is: a release that crashed). "" when this caller now owns the release.
    std::string claim(std::string_view id, bool force) const;
    // A claimed item back to new/ (the release failed; it stays quarantined).
    std::string unclaim(std::string_view id) const;
    // Rewrites the metadata (delivered recipients) atomically.
    std::string update(const Item& item) const;
    // Deletes an item in either state: the message first, so a crash leaves an orphan, never half an item.
    std::string remove(std::string_view id) const;
    // Deletes held items received before `now - retention`, and orphans (metadata
    // without a message, stale tmp/ files) older than an hour. Returns the ids of the deleted items.
    std::vector<std::string> purge(std::int64_t now, std::chrono::seconds retention) const;

    const std::string& directory() const noexcept { return directory_; }

private:
    std::string path(std::string_view folder, std::string_view name) const;
    std::string write_metadata(const Item& item) const;  // via tmp/, renamed into meta/

    std::string directory_;
};

}  // namespace mxgate::quarantine
