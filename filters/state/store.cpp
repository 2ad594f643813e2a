#include "filters/state/store.hpp"

#include "filters/state/redis_store.hpp"
#include "filters/state/sqlite_store.hpp"

namespace mxgate::filters::state {

namespace {
class StoreCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "mxgate.state"; }
    std::string message(int ev) const override {
        switch (static_cast<store_error>(ev)) {
            case store_error::unavailable: return "state store unavailable";
            case store_error::timeout: return "state store timed out";
        }
        return "unknown state store error";
    }
};
}  // namespace

const boost::system::error_category& store_category() noexcept {
    static const StoreCategory category;
    return category;
}

std::unique_ptr<Store> make_store(const StateConfig& config) {
    switch (config.backend) {
        case Backend::sqlite: return std::make_unique<SqliteStore>(config.sqlite, config.key_prefix);
        case Backend::redis: return std::make_unique<RedisStore>(config.redis, config.key_prefix);
    }
    return nullptr;
}

}  // namespace mxgate::filters::state
