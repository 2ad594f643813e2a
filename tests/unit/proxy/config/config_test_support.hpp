// Shared by the config decoder tests: parse a YAML text into Config plus the
// diagnostics as text, the smallest valid config, and a temporary directory.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/config/decode.hpp"

namespace mxgate::config::test {

struct Parsed {
    std::shared_ptr<const Config> config;
    std::vector<std::string> errors;  // Diagnostic::str()
};

inline Parsed parse(const std::string& yaml, const std::string& source = "t.yaml") {
    Diagnostics diagnostics;
    Parsed p;
    p.config = parse_config(yaml, source, diagnostics);
    for (const auto& d : diagnostics) p.errors.push_back(d.str());
    return p;
}

// The smallest valid config (lines 1-6); tests append sections from line 7 on.
inline const std::string listeners = "listeners:\n  - {address: \"127.0.0.1:2525\"}\n";  // lines 1-2
inline const std::string routes =
    "domains:\n"
    "  example.org: local\n"
    "backends:\n"
    "  local: {type: maildir, path: /var/mail}\n";
inline const std::string minimal = listeners + routes;

// One error expected: its exact text.
inline void expect_error(const std::string& yaml, const std::string& expected) {
    const Parsed p = parse(yaml);
    EXPECT_EQ(p.config, nullptr);
    ASSERT_EQ(p.errors.size(), 1u) << yaml << "\nfirst: " << (p.errors.empty() ? "" : p.errors.front());
    EXPECT_EQ(p.errors.front(), expected);
}

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mxgate-config-test-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    void write(const std::string& name, const std::string& text) const {
        std::filesystem::create_directories((path_ / name).parent_path());
        std::ofstream(path_ / name) << text;
    }

private:
    std::filesystem::path path_;
};

}  // namespace mxgate::config::test
