#!/bin/sh
# The run step of rigs/lava/metercert.yaml: metercert run, then every case of its JUnit as a LAVA
# test case, and the verdict as the test case "verdict" (pass on PASS, fail on FAIL or ERROR, skip on
# INCOMPLETE: the run could not verify every must case). Outside LAVA (no lava-test-case on PATH)
# the results are printed as the lava-test-case lines they would be.
# Usage: run-metercert.sh METERCERT PROFILE RIG DUT REPORT
set -u
metercert=$1 profile=$2 rig=$3 dut=$4 report=$5
here=$(dirname "$0")
set -- run --profile "$profile" --report "$report"
[ -n "$rig" ] && set -- "$@" --rig "$rig"
[ -n "$dut" ] && set -- "$@" --dut "$dut"
"$metercert" "$@"
status=$?
case $status in
  0) verdict=pass ;;
  3) verdict=skip ;;
  *) verdict=fail ;;
esac
python3 "$here/junit_to_lava.py" "$report/junit.xml"
if command -v lava-test-case >/dev/null 2>&1; then
  lava-test-case verdict --result "$verdict"
else
  echo "lava-test-case verdict --result $verdict"
fi
# the run's own exit status is the step's: LAVA marks the step failed on FAIL/ERROR/INCOMPLETE
exit "$status"
