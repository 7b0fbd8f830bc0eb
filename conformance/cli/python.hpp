// Running the Python side of metercert (the pytest plugin, the parser harness) from the CLI:
// Debian's /usr/bin/python3 (or $METERCERT_PYTHON) with the package built beside the executable
// (build/python) first on PYTHONPATH.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace metercert::cli {

// The interpreter: $METERCERT_PYTHON, else /usr/bin/python3.
std::string python_interpreter();

struct PythonResult {
    int status = 0;       // exit status; 128 + signal when killed; 127 when the interpreter cannot start
    int stop_signal = 0;  // SIGINT or SIGTERM when this process was told to stop meanwhile, else 0
};

// Runs `python args...` (with `env` added) in its own process group and waits. SIGINT or SIGTERM
// sent to this process are forwarded to the child, which gets `grace_s` seconds to stop cleanly
// (the pytest plugin writes its record and stops its simulators) before its whole group is
// killed; the child also gets SIGTERM if this process dies. When the child has ended, whatever
// is left of its process group is terminated: no process outlives the command.
PythonResult run_python(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env = {},
                        double grace_s = 20);

}  // namespace metercert::cli
