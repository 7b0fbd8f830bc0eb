// metercert: conformance suite for smart-meter communication modules.
//
// Exit codes shared by every command: 0 success, 1 the DUT failed (run: FAIL; read: no answer),
// 2 usage or infrastructure error (one line "error: …" on stderr, never an abort or a
// traceback), 3 run: INCOMPLETE, 130/143 stopped by SIGINT/SIGTERM.
#include <CLI/CLI.hpp>

#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "commands.hpp"
#include "metercert/master/master.hpp"
#include "metercert/master/port.hpp"

namespace {

std::vector<std::string> subcommand_names(CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
    return names;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
}

// Walks the leading words of the command line through the subcommand tree: a word where a
// subcommand is expected that names none is an unknown command (or device), said plainly
// instead of CLI11's "arguments were not expected". Returns false after printing the error.
bool known_subcommands(CLI::App& app, int argc, char** argv) {
    CLI::App* at = &app;
    std::string path = "metercert";
    for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        const auto names = subcommand_names(*at);
        if (names.empty() || word.empty() || word[0] == '-') return true;
        CLI::App* sub = nullptr;
        try {
            sub = at->get_subcommand(word);
        } catch (const CLI::OptionNotFound&) {
            sub = nullptr;
        }
        if (!sub) {
            const bool top = at == &app;
            std::cerr << "error: " << (top ? "unknown command '" : "unknown " + at->get_name() + " device '") << word
                      << "' (" << (top ? "commands" : "devices") << ": " << joined(names) << "; see " << path
                      << " --help)\n";
            return false;
        }
        at = sub;
        path += " " + word;
    }
    return true;
}

// The deepest subcommand the parser reached, and its path ("metercert simulate cmi1020").
CLI::App* parsed_app(CLI::App& app, std::string& path) {
    path = "metercert";
    CLI::App* at = &app;
    for (;;) {
        const auto parsed = at->get_subcommands();
        if (parsed.empty()) return at;
        at = parsed.front();
        path += " " + at->get_name();
    }
}

// One line for a parse error, in the words of the command that was being parsed: an option of
// another device (`simulate cmi1020 --meter-list`) says whose option it is.
std::string parse_error_line(CLI::App& app, const CLI::ParseError& e) {
    std::string path;
    CLI::App* at = parsed_app(app, path);
    const std::string hint = " (see " + path + " --help)";
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
        for (const std::string& word : at->remaining()) {
            if (word.rfind("-", 0) != 0) continue;
            const std::string name = word.substr(0, word.find('='));
            std::string owners;
            if (CLI::App* parent = at->get_parent()) {
                for (const CLI::App* sibling : parent->get_subcommands([](CLI::App*) { return true; }))
                    if (sibling != at && sibling->get_option_no_throw(name) != nullptr)
                        owners += (owners.empty() ? "" : ", ") + sibling->get_name();
            }
            return path + " has no option " + name +
                   (owners.empty() ? "" : " (it is an option of " + at->get_parent()->get_name() + " " + owners + ")") + hint;
        }
        std::string words;
        for (const std::string& word : at->remaining()) words += (words.empty() ? "'" : " '") + word + "'";
        return path + ": unexpected argument(s) " + words + hint;
    }
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && at->get_subcommands().empty()) {
        const auto names = subcommand_names(*at);
        if (!names.empty() && std::string(e.what()).find("ubcommand") != std::string::npos)
            return path + " needs one of: " + joined(names) + hint;
    }
    return std::string(e.what()) + hint;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"metercert — test and certification conformance suite for smart-meter communication modules\n"
                 "(wired M-Bus EN 13757-2/-3, wireless M-Bus EN 13757-4/-7 and OMS, the CMi6110's SenML/CBOR, JSON\n"
                 "and M-Bus uplinks; relay rigs and an IEC 62056-21 optical probe on the meter; see README.md).\n"
                 "Exit codes: 0 success, 1 the DUT failed, 2 usage or infrastructure error, 3 run INCOMPLETE,\n"
                 "130/143 stopped. Durations are in seconds (decimals allowed) unless an option's name says\n"
                 "otherwise (--first-readout-ms)."};
    app.set_version_flag("--version", "metercert 0.1.0");
    app.require_subcommand(1);
    int exit_code = 0;
    try {
        metercert::cli::add_decode(app, exit_code);
        metercert::cli::add_simulate(app, exit_code);
        metercert::cli::add_scan(app, exit_code);
        metercert::cli::add_read(app, exit_code);
        metercert::cli::add_receive(app, exit_code);
        metercert::cli::add_run(app, exit_code);
        metercert::cli::add_vectors(app, exit_code);
        metercert::cli::add_rig(app, exit_code);
        metercert::cli::add_report(app, exit_code);
        metercert::cli::add_faults(app, exit_code);
        if (!known_subcommands(app, argc, argv)) return 2;
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        std::cerr << "error: " << parse_error_line(app, e) << "\n";
        return 2;
    } catch (const metercert::master::PortError& e) {  // a line lost mid-command: named
        std::cerr << "error: " << e.name() << ": " << e.what() << "\n";
        return 2;
    } catch (const metercert::master::MasterError& e) {
        std::cerr << "error: " << e.name() << ": " << e.what() << "\n";
        return 2;
    } catch (const std::bad_alloc&) {
        std::cerr << "error: out of memory\n";
        return 2;
    } catch (const std::exception& e) {  // the last resort: every command names its own errors first
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (...) {
        std::cerr << "error: unexpected failure (an exception of unknown type)\n";
        return 2;
    }
    return exit_code;
}
