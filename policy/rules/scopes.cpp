#include "policy/rules/scopes.hpp"

#include <algorithm>
#include <utility>

namespace mxgate::policy::rules {

namespace {

using core::Stage;

void add_new(std::vector<std::string>& to, const std::vector<std::string>& from) {
    for (const auto& item : from)
        if (std::find(to.begin(), to.end(), item) == to.end()) to.push_back(item);
}

}  // namespace

bool Settled::skips(std::string_view filter) const {
    return accepted || std::find(skip.begin(), skip.end(), filter) != skip.end();
}

void Settled::apply(const Decision& decision) {
    score = decision.score;
    if (decision.terminal == Terminal::accept) {
        accepted = true;
        accepted_by = decision.rule;
    }
    add_new(skip, decision.skip_filters);
    add_new(headers, decision.add_headers);
    if (!decision.route.empty()) route = decision.route;
}

void Scopes::begin(Stage stage) {
    switch (stage) {
        case Stage::connect: *this = Scopes{}; break;
        case Stage::helo: helo_ = connect_; break;
        case Stage::mail_from:
            transaction_ = helo_;
            recipients_.reset();
            break;
        case Stage::rcpt: recipient_ = transaction_; break;
        case Stage::end_of_data: {
            message_ = transaction_;
            if (!recipients_) break;
            message_.accepted = message_.accepted || recipients_->accepted;
            add_new(message_.skip, recipients_->skip);
            add_new(message_.headers, recipients_->headers);
            break;
        }
    }
}

void Scopes::recipient_accepted() {
    if (!recipients_) {
        recipients_ = recipient_;
        return;
    }
    recipients_->accepted = recipients_->accepted && recipient_.accepted;
    std::erase_if(recipients_->skip, [this](const std::string& filter) { return !recipient_.skips(filter); });
    add_new(recipients_->headers, recipient_.headers);
}

const Settled& Scopes::at(Stage stage) const {
    switch (stage) {
        case Stage::connect: return connect_;
        case Stage::helo: return helo_;
        case Stage::mail_from: return transaction_;
        case Stage::rcpt: return recipient_;
        case Stage::end_of_data: break;
    }
    return message_;
}

Settled& Scopes::scope(Stage stage) { return const_cast<Settled&>(std::as_const(*this).at(stage)); }

void Scopes::apply(Stage stage, const Decision& decision) { scope(stage).apply(decision); }

}  // namespace mxgate::policy::rules
