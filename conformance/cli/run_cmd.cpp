// `metercert run`: the conformance run. Runs the profiles' pytest cases (conformance/<package>/)
// through metercert.pytest_plugin against the DUT and writes the reports: junit.xml (pytest),
// record.json and report.html (metercert.report), results appended as each case ends.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <unistd.h>
#include <csignal>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "python.hpp"
#include "metercert/obis/readout.hpp"
#include "metercert/rigs/dut_link.hpp"

namespace metercert::cli {

namespace {

// The first `max` bytes of `s`, cut back to a whole UTF-8 character (a message holds "→", "…": a
// cut inside one would make the summary line invalid UTF-8 for whoever decodes the output strictly)
std::string utf8_prefix(const std::string& s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}


namespace fs = std::filesystem;

struct RunOptions {
    std::vector<std::string> profiles;
    std::string dut;  // empty: each profile's built-in simulator
    std::string report;
    std::string k;
    std::string pcap;
    std::string station, operator_name;
    std::string meter_readout;
    std::string rig;  // a rig file (labgrid environment), FILE or FILE#TARGET
    bool force = false;
    bool long_cases = false;  // --long: also the cases that wait long in real time (METERCERT_LONG_CASES=1)
};

// A profile is a Python package conformance/<package>/ with test_*.py cases; its name is the
// package's with '-' for '_' (conformance/cme3100_master/ is the profile cme3100-master: a package
// needs a Python name, users and case ids keep the dash).
std::string profile_of_package(std::string package) {
    std::replace(package.begin(), package.end(), '_', '-');
    return package;
}
std::string package_of_profile(std::string profile) {
    std::replace(profile.begin(), profile.end(), '-', '_');
    return profile;
}

std::vector<std::string> all_profiles(const fs::path& root) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(root / "conformance")) {
        if (!e.is_directory() || !fs::exists(e.path() / "__init__.py")) continue;
        for (const auto& f : fs::directory_iterator(e.path()))
            if (f.path().filename().string().rfind("test_", 0) == 0 && f.path().extension() == ".py") {
                out.push_back(profile_of_package(e.path().filename().string()));
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

// This process's command line (for the record's provenance).
std::vector<std::string> command_line() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> out;
    for (std::string arg; std::getline(in, arg, '\0');) out.push_back(arg);
    return out;
}

// One line per group of `must` cases that were not verified: how many, why, which.
void print_not_verified(const nlohmann::json& summary) {
    const auto& groups = summary.value("not_verified", nlohmann::json::array());
    if (groups.empty()) return;
    std::size_t n = 0;
    for (const auto& g : groups) n += g["cases"].size();
    std::cout << fmt::format("  {} must case(s) not verified:\n", n);
    for (const auto& g : groups) {
        std::vector<std::string> ids;
        for (const auto& id : g["cases"]) ids.push_back(id.get<std::string>());
        const std::string list = ids.size() <= 6 ? fmt::format("{}", fmt::join(ids, ", "))
                                                 : fmt::format("{}, … ({} more)", fmt::join(ids.begin(), ids.begin() + 5, ", "), ids.size() - 5);
        std::cout << fmt::format("    {:>3} {}\n        {}\n", ids.size(), g["reason"].get<std::string>(), list);
    }
}

// Whether `dir` holds anything (a missing directory holds nothing).
bool has_entries(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir, ec) && fs::directory_iterator(dir, ec) != fs::directory_iterator();
}

// wmbus+hex:- (a capture on standard input): the run reads standard input once, into a file the
// check and the cases' links both read (removed when the run ends); the URL then names that file.
struct StdinCapture {
    fs::path dir;   // a private temporary directory (mkdtemp), removed with what it holds
    fs::path path;  // dir/capture.hex
    ~StdinCapture() {
        std::error_code ec;
        if (!dir.empty()) fs::remove_all(dir, ec);
    }
};

bool capture_stdin(RunOptions& o, StdinCapture& keep) {
    const auto q = o.dut.find('?');
    if (o.dut.substr(0, q) != "wmbus+hex:-") return true;
    std::string dir = (fs::temp_directory_path() / "metercert-stdin-XXXXXX").string();
    if (!mkdtemp(dir.data())) return false;
    keep.dir = dir;
    keep.path = keep.dir / "capture.hex";
    const std::string text{std::istreambuf_iterator<char>(std::cin), {}};
    std::ofstream out(keep.path, std::ios::binary);
    out << text;
    out.close();
    if (!out) return false;
    o.dut = "wmbus+hex:" + keep.path.string() + (q == std::string::npos ? "" : o.dut.substr(q));
    return true;
}

int run_run(const RunOptions& given, const std::vector<std::string>& argv) {
    RunOptions o = given;
    StdinCapture stdin_capture;
    if (!capture_stdin(o, stdin_capture)) {
        std::cerr << "error: --dut wmbus+hex:-: standard input could not be kept for the run\n";
        return 2;
    }
    const fs::path root = METERCERT_SOURCE_DIR;
    const auto available = all_profiles(root);
    const auto profiles = o.profiles.empty() ? available : o.profiles;
    for (const auto& p : profiles)
        if (std::find(available.begin(), available.end(), p) == available.end()) {
            std::cerr << fmt::format("error: unknown profile '{}' (available: {})\n", p, fmt::join(available, ", "));
            return 2;
        }
    if (!o.meter_readout.empty()) {  // the meter reference: an IEC 62056-21 readout, framed or a bare data block
        std::error_code ec;
        if (!fs::is_regular_file(o.meter_readout, ec)) {
            std::cerr << fmt::format("error: --meter-readout {}: {}\n", o.meter_readout,
                                     fs::exists(o.meter_readout, ec) ? "not a regular file" : "no such file");
            return 2;
        }
        if (fs::file_size(o.meter_readout, ec) > obis::kMaxReadoutBytes) {
            std::cerr << fmt::format("error: --meter-readout {}: larger than {} bytes: no meter readout\n", o.meter_readout,
                                     obis::kMaxReadoutBytes);
            return 2;
        }
        std::ifstream f(o.meter_readout, std::ios::binary);
        const std::string bytes{std::istreambuf_iterator<char>(f), {}};
        try {
            (void)obis::normalize_readout(std::string_view(bytes));
        } catch (const obis::ReadoutError& e) {
            std::cerr << fmt::format("error: --meter-readout {}: {}\n", o.meter_readout, e.what());
            return 2;
        }
    }
    if (!o.rig.empty()) {  // the file must be there; whether labgrid can use it the plugin says (a usage error)
        const std::string file = o.rig.substr(0, o.rig.rfind('#'));
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) {
            std::cerr << fmt::format("error: --rig {}: {}\n", o.rig, fs::exists(file, ec) ? "not a regular file" : "no such rig file");
            return 2;
        }
    }
    // The DUT must be reachable before anything runs: exit 2, not a page of failed cases. Every
    // scheme and simulated device is the registry's (rigs/links/): the link is opened and released
    // (a simulator process is started and stopped again).
    try {
        if (!o.dut.empty()) rigs::open_link(o.dut)->close();
    } catch (const rigs::DutError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const master::PortError& e) {
        std::cerr << fmt::format("error: {}: {}\n", e.name(), e.what());
        return 2;
    }
    // The report directory: never over earlier evidence (unless --force); created here so that an
    // unwritable place is named before anything runs, removed again if the run writes nothing.
    fs::path report;
    if (o.report.empty()) {
        const std::string stamp = utc_stamp();
        report = fs::path("reports") / stamp;
        for (int i = 2; has_entries(report); ++i) report = fs::path("reports") / fmt::format("{}-{}", stamp, i);
    } else {
        report = o.report;
        if (has_entries(report) && !o.force) {
            std::cerr << fmt::format("error: --report {}: the directory is not empty (earlier evidence is never "
                                     "overwritten; give another directory, or --force)\n", report.string());
            return 2;
        }
    }
    std::error_code ec;
    const bool created = !fs::exists(report, ec);
    fs::create_directories(report, ec);
    if (ec || access(report.c_str(), W_OK) != 0) {
        std::cerr << fmt::format("error: --report {}: {}\n", report.string(), ec ? ec.message() : std::strerror(errno));
        return 2;
    }
    for (const char* f : {"record.json", "record.jsonl", "junit.xml", "report.html", "report.pdf", "capture.pcap", "rig-log.jsonl"})
        fs::remove(report / f, ec);  // --force: nothing of the earlier run is left to be mistaken for this one
    if (!o.pcap.empty()) {
        const fs::path dir = fs::absolute(o.pcap).parent_path();
        if (fs::is_directory(o.pcap, ec) || access(dir.c_str(), W_OK) != 0) {
            std::cerr << fmt::format("error: --pcap {}: {}\n", o.pcap,
                                     fs::is_directory(o.pcap, ec) ? "is a directory" : std::strerror(errno));
            if (created) fs::remove(report, ec);
            return 2;
        }
    }
    // labgrid's own pytest plugin (python3-labgrid, installed for --rig) needs pytest's terminal,
    // which the run replaces: metercert uses labgrid as a library, never its plugin
    std::vector<std::string> args{"-m", "pytest", "-p", "metercert.pytest_plugin", "-p", "no:cacheprovider",
                                  "-p", "no:terminal", "-p", "no:labgrid", "--report", report.string(), "--rootdir", root.string()};
    if (!o.dut.empty()) args.insert(args.end(), {"--dut", o.dut});
    if (!o.meter_readout.empty()) args.insert(args.end(), {"--meter-readout", fs::absolute(o.meter_readout).string()});
    if (!o.rig.empty()) args.insert(args.end(), {"--rig", fs::absolute(o.rig).string()});
    if (!o.station.empty()) args.insert(args.end(), {"--station", o.station});
    if (!o.operator_name.empty()) args.insert(args.end(), {"--operator", o.operator_name});
    if (!o.k.empty()) args.insert(args.end(), {"-k", o.k});
    if (!o.pcap.empty()) args.insert(args.end(), {"--pcap", o.pcap});
    for (const auto& p : profiles) args.push_back((root / "conformance" / package_of_profile(p)).string());
    std::cerr << fmt::format("metercert run: profiles {} against {} → {}\n", fmt::join(profiles, ", "),
                             !o.dut.empty() ? rigs::redact_url(given.dut)
                             : o.rig.empty() ? "their built-in simulators"
                                             : "the rig's DUT line (its RawSerialPort), else their built-in simulators",
                             report.string());
    std::vector<std::pair<std::string, std::string>> env{{"METERCERT_ARGV", nlohmann::json(argv).dump()}, {"METERCERT_SOURCE_DIR", root.string()}};
    if (o.long_cases) env.emplace_back("METERCERT_LONG_CASES", "1");
    const auto res = run_python(args, env);
    const int stopped = res.stop_signal ? 128 + res.stop_signal : 0;
    std::ifstream in(report / "record.json");
    if (!in) {
        if (created && !has_entries(report)) fs::remove(report, ec);
        if (stopped) {
            std::cout << "\nverdict INTERRUPTED before any case ran; no report written\n";
            return stopped;
        }
        if (res.status == 4) return 2;  // the plugin named the usage error; nothing was written
        std::cerr << fmt::format("error: the run wrote no record (pytest exit {}): is {} with python3-pytest installed?\n",
                                 res.status, python_interpreter());
        return 2;
    }
    nlohmann::json rec;
    try {
        rec = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        std::cerr << fmt::format("error: {}: {}\n", (report / "record.json").string(), e.what());
        return 2;
    }
    const std::string verdict = rec.value("verdict", "ERROR");
    const auto& sum = rec["summary"];
    const auto& must = sum["must"];
    std::cout << fmt::format("\nverdict {}: {} case(s): {} passed, {} failed, {} skipped, {} error; must: {} of {} verified\n",
                             verdict, sum["total"].get<int>(), sum["passed"].get<int>(), sum["failed"].get<int>(),
                             sum["skipped"].get<int>(), sum["error"].get<int>(), must["passed"].get<int>() + must["failed"].get<int>(),
                             must["total"].get<int>());
    for (const auto& c : rec["cases"])
        if (c["outcome"] == "failed" || c["outcome"] == "error")
            std::cout << fmt::format("  {} {} ({}): {}\n", c["outcome"] == "failed" ? "FAILED" : "ERROR ", c["id"].get<std::string>(),
                                     c["level"].get<std::string>(), utf8_prefix(c.value("message", std::string{}), 200));
    print_not_verified(sum);
    std::cout << fmt::format("reports: {}/ (record.json, record.jsonl, junit.xml, report.html, report.pdf{}){}\n", report.string(),
                             o.rig.empty() ? "" : ", rig-log.jsonl", o.pcap.empty() ? ", capture.pcap" : ", capture " + o.pcap);
    if (rec.contains("rig") && rec["rig"].is_object() && rec["rig"].contains("safe_reached")) {
        const auto& rig = rec["rig"];
        std::cout << fmt::format("rig: {} switch(es); {}\n", rig.value("switches", nlohmann::json::array()).size(),
                                 rig.value("safe_reached", false) ? "every output left in its safe state"
                                                                  : "SAFE STATE NOT REACHED: " + rig.value("safe_errors", nlohmann::json::array()).dump());
    }
    if (stopped) {
        std::cout << fmt::format("stopped by {}: the record keeps the {} case(s) done (\"complete\": false)\n",
                                 res.stop_signal == SIGINT ? "SIGINT" : "SIGTERM", rec["cases"].size());
        return stopped;
    }
    if (res.status != 0 && res.status != 1) {
        std::cerr << fmt::format("error: pytest ended with exit {} (infrastructure error)\n", res.status);
        return verdict == "FAIL" ? 1 : 2;
    }
    if (verdict == "PASS") return 0;
    if (verdict == "FAIL") return 1;
    if (verdict == "INCOMPLETE") return 3;
    return 2;  // ERROR (a case broke: the suite's fault), or a record that says it is not complete
}

}  // namespace

void add_run(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<RunOptions>();
    auto* cmd = app.add_subcommand("run", "The conformance run: every case of the profiles against the DUT, with reports.\n"
                                          "Verdict and exit code: PASS 0 (every 'must' case ran and passed), FAIL 1 (a\n"
                                          "'must' case failed), 2 usage or infrastructure error (bad URL, DUT unreachable,\n"
                                          "a selection with no case, a profile that cannot take the DUT, or ERROR: the suite\n"
                                          "itself broke in a case), INCOMPLETE 3 (a 'must' case could not run on this DUT;\n"
                                          "the summary says which and why), 130/143 stopped by SIGINT/SIGTERM.");
    cmd->add_option("--profile", o->profiles, "profile to run (repeatable; default: all, e.g. cmi1020)");
    cmd->add_option("--dut", o->dut, "device under test URL (default: each profile's built-in simulator: sim:cmi1020 for\n"
                                     "cmi1020, sim:cme3000 for cme3000, sim:cme3100 for cme3100-master, sim:cmi1020w?key=… for\n"
                                     "cmi1020w, sim:cmi6110?days=3&…&network=1&… for cmi6110; a CMi6110's captured uplinks:\n"
                                     "cmi6110+uplinks:FILE; a CMi6110 connecting to the suite's LwM2M servers:\n"
                                     "lwm2m://HOST:PORT?endpoint=NAME&psk_id=ID&psk=HEX, with &bootstrap=1 HOST:PORT is the\n"
                                     "suite's Bootstrap-Server, which hands the module to its DM server). Fault-injected simulators:\n"
                                     "sim:cmi1020?fault=NAME, sim:cme3100?fault=NAME, sim:cmi1020w?key=HEX&fault=NAME,\n"
                                     "sim:cmi6110?fault=NAME (faults.json of each profile). A key= or psk= in a URL is never shown\n"
                                     "(key=<redacted>). wmbus+hex:- reads the\n"
                                     "capture from standard input.\n"
                                     "Cases that need a capability the DUT link does not offer are skipped, with the reason:\n" +
                                         rigs::link_schemes_help());
    cmd->add_option("--report", o->report, "report directory (default: reports/<UTC timestamp>/); must be empty or new");
    cmd->add_flag("--force", o->force, "write into a --report directory that is not empty (its earlier reports are removed)");
    cmd->add_option("-k", o->k, "only cases whose name matches this pytest expression");
    cmd->add_option("--pcap", o->pcap, "write every frame of the run to this pcap (default: REPORT/capture.pcap)");
    cmd->add_option("--meter-readout", o->meter_readout,
                    "the meter reference of a real DUT: the IEC 62056-21 readout its meter gives (with or\n"
                    "without the wire framing); every value the DUT reports must then equal it (a 'must')");
    cmd->add_option("--rig", o->rig,
                    "a rig file (labgrid environment; README 'Rigs'; FILE#TARGET when it has several targets):\n"
                    "the relays that switch the DUT's supply, rate inputs and button. Cases that need power,\n"
                    "rate_inputs or button run through it (on a simulated DUT they run through the simulator).\n"
                    "Every output is set to the safe state the file declares when the run ends, is stopped\n"
                    "(SIGINT/SIGTERM) or a case fails or breaks; each switch is logged in REPORT/rig-log.jsonl\n"
                    "and the record's \"rig\" section. Without --dut the DUT is the rig target's labgrid\n"
                    "RawSerialPort (port, speed: serial://PORT?baud=SPEED), when it has one (not the probe's).\n"
                    "A probe role (an IEC 62056-21 optical probe on the meter, meter.probe) lets the value cases\n"
                    "read the meter before and after the DUT and compare every record (cmi1020 6.6/17, 6.6/18).\n"
                    "Check a file first with `metercert rig check`.");
    cmd->add_flag("--long", o->long_cases,
                  "also run the cases that wait long in real time (each skipped without it, with the reason;\n"
                  "same as METERCERT_LONG_CASES=1): cmi6110/7.5/4, the CoAP give-up after MAX_RETRANSMIT (~8-11 s)");
    cmd->add_option("--station", o->station, "test station (default: $METERCERT_STATION)");
    cmd->add_option("--operator", o->operator_name, "operator (default: $METERCERT_OPERATOR)");
    cmd->callback([o, &exit_code] { exit_code = run_run(*o, command_line()); });
}

}  // namespace metercert::cli
