// Shared by the tests of the incremental byte processors (DataReader,
// HeaderFieldFilter): every way to cut a stream into chunks that a test should
// try, and a GoogleTest-safe name for table cases.
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <vector>

namespace mxgate::smtp::test {

// The cut plans for a stream of `size` bytes: each single cut, each pair of cuts
// when size <= pair_limit, and one byte at a time. A plan lists cut offsets.
inline std::vector<std::vector<std::size_t>> split_plans(std::size_t size, std::size_t pair_limit) {
    std::vector<std::vector<std::size_t>> plans;
    for (std::size_t cut = 0; cut <= size; ++cut) plans.push_back({cut});
    if (size <= pair_limit)
        for (std::size_t a = 1; a < size; ++a)
            for (std::size_t b = a + 1; b < size; ++b) plans.push_back({a, b});
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < size; ++i) every.push_back(i);
    plans.push_back(std::move(every));
    return plans;
}

inline std::string describe_plan(const std::vector<std::size_t>& cuts) {
    if (cuts.size() > 2) return "byte by byte";
    std::string out = "cuts at";
    for (std::size_t cut : cuts) out += " " + std::to_string(cut);
    return out;
}

inline std::string test_name(std::string name) {
    for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return name;
}

}  // namespace mxgate::smtp::test
