// Running the Python side of metercert (the pytest plugin, the parser harness) from the CLI:
// Debian's /usr/bin/python3 (or $METERCERT_PYTHON) with the package built beside the executable
// (build/python) first on PYTHONPATH.
#pragma once

#include <string>
#include <vector>

namespace metercert::cli {

// The interpreter: $METERCERT_PYTHON, else /usr/bin/python3.
std::string python_interpreter();

// Runs `python args...` and waits; returns its exit status (128 + signal when killed, 127 when
// the interpreter cannot be started, with a message on stderr).
int run_python(const std::vector<std::string>& args);

}  // namespace metercert::cli
