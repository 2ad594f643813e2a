#include "filters/dmarc/org_domain.hpp"

#include <libpsl.h>

#include <map>
#include <mutex>

namespace mxgate::filters::dmarc {

PublicSuffixList::Loaded PublicSuffixList::shared(const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const PublicSuffixList>> loaded;
    std::lock_guard lock(mutex);
    if (auto it = loaded.find(path); it != loaded.end()) return {it->second, {}};
    psl_ctx_t* context = psl_load_file(path.c_str());
    if (context == nullptr) return {nullptr, "cannot load the public suffix list " + path};
    auto list = std::make_shared<const PublicSuffixList>(context);
    loaded.emplace(path, list);
    return {std::move(list), {}};
}

PublicSuffixList::~PublicSuffixList() { psl_free(context_); }

std::string PublicSuffixList::organizational_domain(std::string_view domain) const {
    const std::string name(domain);
    // Points into `name`; null when `name` is itself a public suffix (both sections, PSL_TYPE_ANY).
    const char* registrable = psl_registrable_domain(context_, name.c_str());
    return registrable == nullptr ? name : std::string(registrable);
}

}  // namespace mxgate::filters::dmarc
