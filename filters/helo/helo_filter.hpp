// HeloFilter: Postfix's HELO name restrictions at the helo stage, no DNS, no state.
// Emits one Finding named "helo" (docs/filters.md, "HELO name checks"):
//   outcome  fail (refused), pass, or skipped for a trusted client (attr skip=trusted)
//   attrs    on fail: check=invalid_hostname|non_fqdn_hostname, shown_name (the
//            name made printable and short, for the reply that echoes it)
// Its settings' refusals are default rules (helo_registration.hpp): 501 / 504 5.5.2.
// A refused greeting leaves the session ungreeted (SessionState::on_helo_done).
#pragma once

#include <memory>

#include "filters/filter.hpp"
#include "filters/helo/helo_config.hpp"

namespace mxgate::filters::helo {

class HeloFilter final : public Filter {
public:
    explicit HeloFilter(std::shared_ptr<const HeloConfig> config) : config_(std::move(config)) {}

    std::string_view name() const noexcept override { return "helo"; }
    bool runs_at(core::Stage stage) const noexcept override { return stage == core::Stage::helo; }
    boost::asio::awaitable<std::vector<core::Finding>> inspect(core::Stage stage, const TransactionView& view) override;

    // The Finding for one greeting (pure; inspect() and the tests use it).
    static core::Finding check(std::string_view helo, bool trusted, const HeloConfig& config);

private:
    std::shared_ptr<const HeloConfig> config_;
};

}  // namespace mxgate::filters::helo
