// `metercert vectors [--wmbus|--cmi6110] [--decoder CMD]`: the third-party parser harness (toml-test
// style). Feeds every golden vector of vectors/mbus to a decoder command (hex on stdin; --wmbus: the
// vectors of vectors/wmbus as "HEX KEY" lines; --cmi6110: the CMi6110 uplink payloads of
// vectors/cmi6110 as "ENCODING PAYLOAD" lines) and reports per vector
// pass / fail (with a diff) / crash / timeout as a table, JUnit and JSON. The work is done by
// metercert.harness (bindings/metercert/harness.py); without --decoder the decoder is this
// executable's own `decode --json`, so the reference is held against the same vectors the
// same way.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "python.hpp"

namespace metercert::cli {

namespace {

struct VectorsOptions {
    std::string decoder;
    std::string vectors;
    double timeout = 5.0;
    std::string junit, json, k;
    bool quiet = false;
    bool strict = false;
    bool wmbus = false;
    bool cmi6110 = false;
};

// Why an output file cannot be written ("" when it can), checked before any decoder runs: a
// directory, a missing or read-only directory, /proc. A file the check creates is removed.
std::string unwritable(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return "is a directory";
    const bool existed = std::filesystem::exists(path, ec);
    std::FILE* f = std::fopen(path.c_str(), "a");
    if (!f) return std::strerror(errno);
    std::fclose(f);
    if (!existed) std::filesystem::remove(path, ec);
    return "";
}

}  // namespace

void add_vectors(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<VectorsOptions>();
    auto* cmd = app.add_subcommand(
        "vectors",
        "Hold an M-Bus (--wmbus: a wireless M-Bus; --cmi6110: a CMi6110 payload) decoder against the golden vectors: each frame as a hex line on its stdin;\n"
        "a valid frame must give canonical JSON (vectors/README.md) on stdout and exit 0, an invalid\n"
        "one a non-zero exit. Per vector: PASS, FAIL (with a diff), CRASH (signal), TIMEOUT.\n"
        "An acceptable vector (a recoverable deviation) passes when the decoder rejects it, or accepts it\n"
        "and lists the expected violations; the table says which it did.\n"
        "Without --decoder the reference ('metercert decode --json', with --strict 'decode --json --strict')\n"
        "is checked. --wmbus: wireless M-Bus decoders against vectors/wmbus: each telegram as a line\n"
        "'HEX KEY' (KEY: the vector's AES-128 key, 32 hex digits, or '-' when none; the CRCs as the\n"
        "vector has them); the reference is 'decode --wmbus --json --line-keys'. No key is shown.\n"
        "--cmi6110: CMi6110 payload decoders (manual §7.4.2) against vectors/cmi6110: each payload as a\n"
        "line 'ENCODING PAYLOAD' (senml or mbus: hex; json: the JSON object on one line); a valid one must\n"
        "print one JSON object per readout (as 'decode --cmi6110 ENC --json'); the reference is\n"
        "'decode --cmi6110 lines --json'.\n"
        " Exit 0 when every vector passes, 1 otherwise, 2 on a usage error (one line on stderr:\n"
        "'error: --junit PATH: <reason>' for an output that cannot be written, before any decoder runs).");
    cmd->add_option("--decoder", o->decoder, "decoder command line, e.g. \"python3 mydecoder.py\"");
    cmd->add_option("--vectors", o->vectors, "directory of vector files (default: the source tree's vectors/mbus,\n"
                                             "vectors/wmbus with --wmbus, vectors/cmi6110 with --cmi6110)");
    cmd->add_option("--timeout", o->timeout, "seconds allowed per vector")->capture_default_str();
    cmd->add_option("--junit", o->junit, "write JUnit XML to this file");
    cmd->add_option("--json", o->json, "write per-vector results as JSON to this file");
    cmd->add_option("-k", o->k, "only vectors whose id (file#tcId) or comment contains this text");
    cmd->add_flag("--quiet", o->quiet, "list only the vectors that do not pass");
    auto* wmbus = cmd->add_flag("--wmbus", o->wmbus, "wireless M-Bus decoders: the vectors of vectors/wmbus, a line HEX KEY each");
    auto* cmi6110 = cmd->add_flag("--cmi6110", o->cmi6110, "CMi6110 payload decoders: the vectors of vectors/cmi6110, a line ENCODING PAYLOAD each")
        ->excludes(wmbus);
    cmd->add_flag("--strict", o->strict, "hold the reference in strict mode (it rejects every acceptable vector)")
        ->excludes(cmd->get_option("--decoder"))->excludes(wmbus)->excludes(cmi6110);
    cmd->callback([o, &exit_code] {
        for (const auto& [option, path] : {std::pair{"--junit", o->junit}, std::pair{"--json", o->json}}) {
            if (path.empty()) continue;
            if (const std::string why = unwritable(path); !why.empty()) {
                std::cerr << fmt::format("error: {} {}: {}\n", option, path, why);
                exit_code = 2;
                return;
            }
        }
        const std::string self = std::filesystem::canonical("/proc/self/exe").string();
        const std::string reference = o->wmbus     ? fmt::format("'{}' decode --wmbus --json --line-keys", self)
                                      : o->cmi6110 ? fmt::format("'{}' decode --cmi6110 lines --json", self)
                                                   : fmt::format("'{}' decode --json{}", self, o->strict ? " --strict" : "");
        const std::string kind = o->wmbus ? "wmbus" : o->cmi6110 ? "cmi6110" : "mbus";
        std::vector<std::string> args{"-m", "metercert.harness",
                                      "--decoder", o->decoder.empty() ? reference : o->decoder,
                                      "--kind", kind,
                                      "--vectors", o->vectors.empty() ? std::string(METERCERT_SOURCE_DIR) + "/vectors/" + kind : o->vectors,
                                      "--timeout", fmt::format("{}", o->timeout)};
        if (!o->junit.empty()) args.insert(args.end(), {"--junit", o->junit});
        if (!o->json.empty()) args.insert(args.end(), {"--json", o->json});
        if (!o->k.empty()) args.insert(args.end(), {"-k", o->k});
        if (o->quiet) args.push_back("--quiet");
        const auto res = run_python(args);
        exit_code = res.stop_signal ? 128 + res.stop_signal : res.status <= 2 ? res.status : 2;
    });
}

}  // namespace metercert::cli
