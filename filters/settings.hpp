// Which filters run and with what settings (yaml: filters:), plus nothing else:
// the shared services they use (resolver: dns:, store: state:) are configured
// beside this. Each filter's settings struct lives in its own folder; this holds
// one per registry row without naming them (registry.cpp is the one list).
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace YAML {
class Node;
}
namespace mxgate::settings {
class Reporter;
class Writer;
}  // namespace mxgate::settings

namespace mxgate::filters {

// The settings of one filter, whatever its struct: comparable for reload, typed on request.
class AnySettings {
public:
    template <class T>
    explicit AnySettings(T value) : held_(std::make_shared<const Held<T>>(std::move(value))) {}

    template <class T>
    const T* get() const noexcept {
        const auto* held = dynamic_cast<const Held<T>*>(held_.get());
        return held != nullptr ? &held->value : nullptr;
    }
    bool enabled() const noexcept { return held_->enabled(); }
    bool operator==(const AnySettings& other) const { return held_->equals(*other.held_); }

private:
    struct Base {
        virtual ~Base() = default;
        virtual bool enabled() const noexcept = 0;
        virtual bool equals(const Base& other) const = 0;
    };
    template <class T>
    struct Held final : Base {
        explicit Held(T v) : value(std::move(v)) {}
        bool enabled() const noexcept override { return value.enabled; }
        bool equals(const Base& other) const override {
            const auto* same = dynamic_cast<const Held*>(&other);
            return same != nullptr && same->value == value;
        }
        T value;
    };
    std::shared_ptr<const Base> held_;  // immutable: copies of a Config share it
};

// What the proxy knows that a filter may default to (SPF's receiver name).
struct FilterDefaults {
    std::string hostname;  // server.hostname, after its own default
};

struct FilterSettings {                    // yaml: filters:
    // The chain's deadline per stage, over every filter's own timeout: a filter
    // still running then is cancelled and reported as a temperror (chain.hpp).
    std::chrono::milliseconds stage_timeout = std::chrono::seconds(30);
    // One per registry row, in the same order: that filter's settings struct.
    std::vector<AnySettings> by_filter;

    FilterSettings();  // every filter at its defaults
    bool operator==(const FilterSettings&) const = default;

    // The settings of the filter whose struct is T: get<helo::HeloConfig>().
    template <class T>
    const T& get() const {
        for (const AnySettings& settings : by_filter)
            if (const T* typed = settings.get<T>()) return *typed;
        throw std::logic_error("no filter in the registry has these settings");
    }
    // Replaces the settings of the filter whose struct is T (tests, the defaults hook).
    template <class T>
    void set(T value) {
        for (AnySettings& settings : by_filter)
            if (settings.get<T>() != nullptr) settings = AnySettings(std::move(value));
    }

    // Greylisting and rate limits keep state; without them no store is opened.
    bool need_state() const;
    // SPF and the DNS lists ask DNS; without them no resolver is started.
    bool need_resolver() const;
    // The first enabled filter that needs the state store ("filters.greylist"), for messages; "" if none.
    std::string state_user() const;
    // Fills in what each filter defaults from the proxy's settings.
    void apply_defaults(const FilterDefaults& defaults);
};

// yaml: filters: with every registered filter's section; errors go to the reporter.
FilterSettings decode_filter_settings(const YAML::Node& node, settings::Reporter& reporter);
// The filters: section of --check-config, in registry order.
void dump_filter_settings(settings::Writer& w, const FilterSettings& settings);

}  // namespace mxgate::filters
