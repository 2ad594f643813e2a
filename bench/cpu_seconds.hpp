// CPU time of this process (user + system), for the micro-benchmarks' per-CPU-second rates.
#pragma once

#include <sys/resource.h>

namespace mxgate::bench {

inline double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace mxgate::bench
