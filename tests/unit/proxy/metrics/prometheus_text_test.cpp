// The metrics text format (Prometheus exposition 0.0.4), the endpoint's answers
// per path and method, and the policy's verdict counts.
#include <gtest/gtest.h>

#include <string>

#include <boost/beast/http/field.hpp>

#include "proxy/metrics/metrics_server.hpp"
#include "proxy/metrics/prometheus_text.hpp"
#include "proxy/metrics/verdict_counts.hpp"

namespace mxgate::metrics {
namespace {

namespace http = boost::beast::http;

TEST(PrometheusText, LabelValuesEscapeBackslashQuoteAndNewline) {
    EXPECT_EQ(escape_label_value(R"(a\b)"), R"(a\\b)");
    EXPECT_EQ(escape_label_value(R"(say "hi")"), R"(say \"hi\")");
    EXPECT_EQ(escape_label_value("two\nlines"), R"(two\nlines)");
    EXPECT_EQ(escape_label_value("plain-rule_1.x"), "plain-rule_1.x");
}

TEST(PrometheusText, HelpEscapesBackslashAndNewlineButNotQuotes) {
    EXPECT_EQ(escape_help("a \"b\"\\\nc"), "a \"b\"\\\\\\nc");
}

TEST(PrometheusText, OneHelpAndTypePerFamilyWithItsSamplesTogether) {
    PrometheusText text;
    text.counter("mxgate_dkim_total", "DKIM results", {{"result", "pass"}}, 3);
    text.counter("mxgate_dkim_messages_total", "Messages", 5);
    text.counter("mxgate_dkim_total", "DKIM results", {{"result", "fail"}}, 0);
    EXPECT_EQ(text.str(),
              "# HELP mxgate_dkim_total DKIM results\n"
              "# TYPE mxgate_dkim_total counter\n"
              "mxgate_dkim_total{result=\"pass\"} 3\n"
              "mxgate_dkim_total{result=\"fail\"} 0\n"
              "# HELP mxgate_dkim_messages_total Messages\n"
              "# TYPE mxgate_dkim_messages_total counter\n"
              "mxgate_dkim_messages_total 5\n");
}

TEST(PrometheusText, SeveralLabelsInOrderWithEscapedValues) {
    PrometheusText text;
    text.counter("mxgate_policy_verdicts_total", "h", {{"rule", "a\"b\\c\nd"}, {"action", "reject"}}, 18446744073709551615ull);
    EXPECT_NE(text.str().find("mxgate_policy_verdicts_total{rule=\"a\\\"b\\\\c\\nd\",action=\"reject\"} "
                              "18446744073709551615\n"),
              std::string::npos)
        << text.str();
}

TEST(PrometheusText, NothingReportedIsAnEmptyPage) { EXPECT_EQ(PrometheusText().str(), ""); }

Request request(http::verb method, std::string target) {
    Request r(method, target, 11);
    return r;
}

TEST(MetricsEndpoint, GetMetricsIsTheTextFormat) {
    const Response response = respond(request(http::verb::get, "/metrics"), [] { return std::string("x 1\n"); });
    EXPECT_EQ(response.result(), http::status::ok);
    EXPECT_EQ(response.body(), "x 1\n");
    EXPECT_EQ(response[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_FALSE(response.keep_alive());
}

TEST(MetricsEndpoint, OtherPathsAre404AndNotRendered) {
    bool rendered = false;
    const Render render = [&] { rendered = true; return std::string(); };
    for (const char* target : {"/", "/metrics/", "/metricsx", "/metrics?x=1", "*"})
        EXPECT_EQ(respond(request(http::verb::get, target), render).result(), http::status::not_found) << target;
    EXPECT_FALSE(rendered);
}

TEST(MetricsEndpoint, OtherMethodsAre405WithAllowGet) {
    for (auto method : {http::verb::post, http::verb::put, http::verb::delete_, http::verb::head}) {
        const Response response = respond(request(method, "/metrics"), [] { return std::string("x"); });
        EXPECT_EQ(response.result(), http::status::method_not_allowed);
        EXPECT_EQ(response[http::field::allow], "GET");
    }
}

TEST(VerdictCounts, CountsByRuleActionAndMode) {
    VerdictCounts counts;
    counts.count("spam", "reject", VerdictMode::applied);
    counts.count("spam", "reject", VerdictMode::applied);
    counts.count("spam", "reject", VerdictMode::monitored);
    counts.count("greylist", "tempfail", VerdictMode::applied);
    PrometheusText text;
    counts.report(text);
    const std::string page = text.str();
    EXPECT_NE(page.find("mxgate_policy_verdicts_total{rule=\"spam\",action=\"reject\",mode=\"applied\"} 2\n"),
              std::string::npos) << page;
    EXPECT_NE(page.find("mxgate_policy_verdicts_total{rule=\"spam\",action=\"reject\",mode=\"monitored\"} 1\n"),
              std::string::npos) << page;
    EXPECT_NE(page.find("mxgate_policy_verdicts_total{rule=\"greylist\",action=\"tempfail\",mode=\"applied\"} 1\n"),
              std::string::npos) << page;
}

}  // namespace
}  // namespace mxgate::metrics
