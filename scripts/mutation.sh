#!/usr/bin/env bash
# Mutation testing of the rules and validation modules (issue 6), by hand — never part of
# `make test`.  Runs mutmut 3 in a throw-away copy of the tree, so the working tree is
# never mutated, and prints the share of surviving mutants per module.
#
#   scripts/mutation.sh            # the working tree
#   scripts/mutation.sh <commit>   # a commit (e.g. to measure "before")
#
# Needs `pip install 'mutmut==3.8.1'` in .venv.  The modules give about 3,700
# mutants, hours of work on 2 cores; by default a fixed sample is run: every mutant whose
# number ends in 1 (about 1 in 10, and at least one in every function), the same names
# on every commit while a module's functions are unchanged.  MUTATION_SAMPLE='*' runs all.
# Environment: MUTATION_DIR (default: a new temp dir; an existing one is resumed),
# MUTATION_CHILDREN (default 2), MUTATION_SAMPLE (default '*__mutmut_*1').
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py="$here/.venv/bin/python"
rev=${1:-}
work=${MUTATION_DIR:-$(mktemp -d -t learnmap-mutation.XXXX)}
sample=${MUTATION_SAMPLE:-*__mutmut_*1}
mkdir -p "$work"
if [ -e "$work/mutants" ]; then
  echo "resuming $work" >&2
elif [ -n "$rev" ]; then
  git -C "$here" archive "$rev" | tar -x -C "$work"
else
  (cd "$here" && git ls-files -co --exclude-standard -z | tar --null -T - -c) | tar -x -C "$work"
fi
# mutmut reads [mutmut] from setup.cfg only when pyproject.toml has no [tool.mutmut]
cat > "$work/setup.cfg" <<'CFG'
[mutmut]
source_paths =
    features
    engine
only_mutate =
    features/compliance.py
    features/credits.py
    features/mastery.py
    features/mastery_priors.py
    features/mastery_context.py
    features/profile.py
    engine/validate/__init__.py
    engine/validate/across.py
    engine/validate/cells.py
    engine/validate/collector.py
    engine/validate/dataset.py
    engine/validate/references.py
    engine/validate/rows.py
    engine/validate/store_view.py
    engine/validate/table.py
    engine/validate/text_lookup.py
    engine/importers/oulad.py
    engine/importers/oulad_files.py
    engine/importers/oulad_canonical.py
also_copy =
    models
    api
    experiments
    benchmarks
pytest_add_cli_args_test_selection =
    tests/features/test_compliance.py
    tests/features/test_asof.py
    tests/features/test_departures.py
    tests/features/test_profile_and_map.py
    tests/features/test_org_and_report.py
    tests/engine/test_validate.py
    tests/engine/test_store.py
    tests/engine/test_readers_office.py
    tests/engine/test_oulad.py
    tests/engine/test_oulad_props.py
    tests/engine/test_oulad_later.py
pytest_add_cli_args =
    -p
    no:cacheprovider
    -x
CFG
cd "$work"
echo "mutation run in $work" >&2
nice "$here/.venv/bin/mutmut" run --max-children "${MUTATION_CHILDREN:-2}" "$sample" > run.log 2>&1 || {
  tail -40 run.log >&2
  exit 1
}
"$here/.venv/bin/mutmut" results --all true > results.txt
"$py" "$here/scripts/mutation_summary.py" results.txt "$sample"
