// `metercert run`: the conformance run. Runs the profiles' pytest cases (conformance/<profile>/)
// through metercert.pytest_plugin against the DUT and writes the reports: junit.xml (pytest),
// record.json and report.html (metercert.report), results appended as each case ends.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "python.hpp"
#include "metercert/rigs/dut.hpp"

extern const char kDefaultE350Readout[];
extern const std::size_t kDefaultE350ReadoutSize;

namespace metercert::cli {

namespace {

namespace fs = std::filesystem;

struct RunOptions {
    std::vector<std::string> profiles;
    std::string dut;  // empty: each profile's built-in simulator
    std::string report;
    std::string k;
    std::string pcap;
    std::string station, operator_name;
    std::string meter_readout;
};

std::vector<std::string> all_profiles(const fs::path& root) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(root / "conformance")) {
        if (!e.is_directory() || e.path().filename() == "tests" || e.path().filename() == "cli") continue;
        for (const auto& f : fs::directory_iterator(e.path()))
            if (f.path().filename().string().rfind("test_", 0) == 0) {
                out.push_back(e.path().filename().string());
                break;
            }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string utc_stamp() {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const auto day = std::chrono::floor<std::chrono::days>(now);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{now - day};
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

int run_run(const RunOptions& o) {
    const fs::path root = METERCERT_SOURCE_DIR;
    const auto available = all_profiles(root);
    const auto profiles = o.profiles.empty() ? available : o.profiles;
    for (const auto& p : profiles)
        if (std::find(available.begin(), available.end(), p) == available.end()) {
            std::cerr << fmt::format("error: unknown profile '{}' (available: {})\n", p, fmt::join(available, ", "));
            return 2;
        }
    try {  // the DUT must be reachable before anything runs: exit 2, not a page of failed cases
        if (!o.dut.empty()) rigs::open_dut(o.dut, std::string(kDefaultE350Readout, kDefaultE350ReadoutSize));
    } catch (const rigs::DutError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const master::PortError& e) {
        std::cerr << fmt::format("error: {}: {}\n", e.name(), e.what());
        return 2;
    }
    const fs::path report = o.report.empty() ? fs::path("reports") / utc_stamp() : fs::path(o.report);
    std::error_code ec;
    fs::create_directories(report, ec);
    if (ec) {
        std::cerr << fmt::format("error: --report {}: {}\n", report.string(), ec.message());
        return 2;
    }
    const std::string python = python_interpreter();
    std::vector<std::string> args{"-m", "pytest", "-p", "metercert.pytest_plugin", "-p", "no:cacheprovider",
                                  "-q", "--no-header", "-rN", "--tb=no", "--report", report.string(),
                                  "--junitxml", (report / "junit.xml").string(), "-o", "junit_family=xunit2",
                                  "--rootdir", root.string()};
    if (!o.dut.empty()) args.insert(args.end(), {"--dut", o.dut});
    if (!o.meter_readout.empty()) args.insert(args.end(), {"--meter-readout", o.meter_readout});
    if (!o.station.empty()) args.insert(args.end(), {"--station", o.station});
    if (!o.operator_name.empty()) args.insert(args.end(), {"--operator", o.operator_name});
    if (!o.k.empty()) args.insert(args.end(), {"-k", o.k});
    if (!o.pcap.empty()) args.insert(args.end(), {"--pcap", o.pcap});
    for (const auto& p : profiles) args.push_back((root / "conformance" / p).string());
    std::cerr << fmt::format("metercert run: profiles {} against {} → {}\n", fmt::join(profiles, ", "),
                             o.dut.empty() ? "their built-in simulators" : o.dut, report.string());
    const int rc = run_python(args);
    std::ifstream in(report / "record.json");
    if (!in) {
        std::cerr << fmt::format("error: the run wrote no record (pytest exit {}): is {} with python3-pytest installed?\n", rc, python);
        return 2;
    }
    nlohmann::json rec;
    try {
        rec = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        std::cerr << fmt::format("error: {}: {}\n", (report / "record.json").string(), e.what());
        return 2;
    }
    std::map<std::string, int> counts;
    int must_failed = 0;
    for (const auto& c : rec["cases"]) {
        ++counts[c["outcome"].get<std::string>()];
        if (c["outcome"] == "failed" && c["level"] == "must") ++must_failed;
    }
    std::cout << fmt::format("\nverdict {}: {} case(s), {} passed, {} failed ({} must), {} skipped\n", rec["verdict"].get<std::string>(),
                             rec["cases"].size(), counts["passed"], counts["failed"], must_failed, counts["skipped"]);
    for (const auto& c : rec["cases"])
        if (c["outcome"] == "failed")
            std::cout << fmt::format("  FAILED {} ({}): {}\n", c["id"].get<std::string>(), c["level"].get<std::string>(),
                                     c.value("message", std::string{}).substr(0, 200));
    std::cout << fmt::format("reports: {0}/junit.xml {0}/record.json {0}/report.html {1}\n", report.string(),
                             o.pcap.empty() ? (report / "capture.pcap").string() : o.pcap);
    if (rc != 0 && rc != 1) {
        std::cerr << fmt::format("error: pytest ended with exit {} (usage or infrastructure error)\n", rc);
        return 2;
    }
    if (!rec.value("complete", false)) {
        std::cerr << "error: the run did not complete (interrupted); the record keeps the cases done so far\n";
        return must_failed > 0 ? 1 : 2;
    }
    return must_failed > 0 ? 1 : 0;
}

}  // namespace

void add_run(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<RunOptions>();
    auto* cmd = app.add_subcommand("run", "The conformance run: every case of the profiles against the DUT, with reports.\n"
                                          "Exit 0 when every 'must' case passes, 1 when one fails, 2 on a usage or\n"
                                          "infrastructure error (DUT unreachable, bad URL).");
    cmd->add_option("--profile", o->profiles, "profile to run (repeatable; default: all, e.g. cmi1020)");
    cmd->add_option("--dut", o->dut, "device under test URL (default: each profile's built-in simulator: sim:cmi1020 for\n"
                                     "cmi1020, a simulated CMe3000 in front of it for cme3000, simulated slaves for cme3100-master)");
    cmd->add_option("--report", o->report, "report directory (default: reports/<UTC timestamp>/)");
    cmd->add_option("-k", o->k, "only cases whose name matches this pytest expression");
    cmd->add_option("--pcap", o->pcap, "write every frame of the run to this pcap (default: REPORT/capture.pcap)");
    cmd->add_option("--meter-readout", o->meter_readout,
                    "IEC 62056-21 readout the real DUT's meter gives (what the reference CMi1020 is fed)");
    cmd->add_option("--station", o->station, "test station (default: $METERCERT_STATION)");
    cmd->add_option("--operator", o->operator_name, "operator (default: $METERCERT_OPERATOR)");
    cmd->callback([o, &exit_code] { exit_code = run_run(*o); });
}

}  // namespace metercert::cli
