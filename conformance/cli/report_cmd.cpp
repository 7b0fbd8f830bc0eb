// `metercert report merge RUN_DIR… --out DIR`: the reports of several runs (one `metercert run` per
// rig, in parallel processes) as one record, JUnit and HTML page with a row per DUT. The work is
// done by metercert.merge (reports/merge.py), which like the report writer takes records as data.
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "python.hpp"

namespace metercert::cli {

namespace {

struct ReportMergeOptions {
    std::vector<std::string> runs;
    std::string out;
    std::string title;
};

}  // namespace

void add_report(CLI::App& app, int& exit_code) {
    auto* report = app.add_subcommand("report", "Reports of earlier runs (README 'Many rigs').");
    report->require_subcommand(1);
    auto o = std::make_shared<ReportMergeOptions>();
    auto* merge = report->add_subcommand(
        "merge",
        "Merge the report directories of several runs (e.g. one `metercert run --rig FILE --report DIR`\n"
        "per rig, run in parallel) into --out: record.json (schema metercert_merged_v1: each run's DUT,\n"
        "identity, verdict and counts, and every case tagged with its run), junit.xml (a testsuite per\n"
        "run and profile) and report.html (a row per DUT, linked to the run's own report, and the failed\n"
        "must cases of all). The merged verdict is the worst of the runs'. Exit as `metercert run`: 0\n"
        "PASS, 1 FAIL, 2 usage error (a directory without record.json, two runs of the same name) or\n"
        "ERROR, 3 INCOMPLETE, 4 INTERRUPTED.");
    merge->add_option("runs", o->runs, "report directories of metercert runs")->required();
    merge->add_option("--out", o->out, "directory for the merged reports")->required();
    merge->add_option("--title", o->title, "the merged page's title (default: 'metercert: runs merged')");
    merge->callback([o, &exit_code] {
        std::vector<std::string> args{"-m", "metercert.merge"};
        args.insert(args.end(), o->runs.begin(), o->runs.end());
        args.insert(args.end(), {"--out", o->out});
        if (!o->title.empty()) args.insert(args.end(), {"--title", o->title});
        const auto res = run_python(args);
        exit_code = res.stop_signal ? 128 + res.stop_signal : res.status <= 4 ? res.status : 2;
    });
}

}  // namespace metercert::cli
