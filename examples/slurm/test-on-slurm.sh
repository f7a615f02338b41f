#!/bin/bash
# Checks sweep.sbatch on a real Slurm (one node is enough): run it from the root of a clone where
# `npm ci` has been done (dist/ built), as a user who may submit jobs, and root or a user allowed
# `unshare -r` for the last part.
#
#   bash examples/slurm/test-on-slurm.sh [runs root]      # default: a fresh folder in /tmp
#
# 1. scancel mid-trial: the job's SIGTERM reaches adam-lab, the trial is recorded interrupted
#    within seconds, adam-lab ends on its own (its last line says so; the report it writes first
#    can take a few seconds more) before Slurm's SIGKILL, and no adam-lab process is left.
# 2. the time limit (--time=1): the same when Slurm ends the job at its limit.
# 3. a rerun from another host name (unshare -u) finishes the shard that scancel interrupted:
#    the interrupted trials' claims were let go, so it does not take them for running elsewhere.
# 4. a slice held by a live process elsewhere: the rerun waits (--wait-held), then exits 1 with
#    the count, not 0.
# Not run in CI (it needs Slurm); test/reliability/slurm-launcher.test.ts and held-trials.test.ts
# check the same without it.
set -euo pipefail

runs=${1:-$(mktemp -d /tmp/adam-lab-slurm-XXXXXX)}
mkdir -p "$runs"
# Within this many seconds of the SIGTERM the running trial must be recorded interrupted.
honoured=15
adam_lab=(node "$PWD/bin/adam-lab.js")
failures=0

say() { printf '%s\n' "$*"; }
fail() {
  say "FAIL: $*"
  failures=$((failures + 1))
}

# A sweep of two trials; each trains for <epochs> epochs of 2000 examples.
write_config() { # <file> <name> <epochs>
  cat >"$1" <<EOF
name: $2
data: {dataset: synthetic, task: moons, n_train: 2000, n_test: 200, batch_size: 32}
model: {layers: [{linear: 16}, tanh, {linear: 2}]}
optimizer: {name: sgd, lr: 0.05}
train: {epochs: $3}
seeds: [0, 1]
sweep: {grid: {optimizer.lr: [0.05]}}
EOF
}

sweep_folder() { "${adam_lab[@]}" sweep "$1" --out "$runs" --dry-run | sed -n '1s/^.* → //p'; }
job_running() { [[ -n "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]]; }
# Waits until a trial of the folder is training (rows in a steps.csv.partial).
await_training() { # <folder> <job>
  for _ in $(seq 1 600); do
    if compgen -G "$1/trials/*/steps.csv.partial" >/dev/null && [[ $(cat "$1"/trials/*/steps.csv.partial | wc -l) -gt 4 ]]; then return 0; fi
    job_running "$2" || return 1
    sleep 0.2
  done
  return 1
}
statuses() { # <folder>: the trials' statuses, sorted
  for manifest in "$1"/trials/*/manifest.json; do
    [[ -e "$manifest" ]] && sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p' "$manifest"
  done | sort | tr '\n' ' '
}
# Waits until a trial of the folder is recorded interrupted; prints the seconds it took.
await_interrupted() { # <folder>
  local start=$SECONDS
  while [[ $(statuses "$1") != *interrupted* && $((SECONDS - start)) -le 60 ]]; do sleep 0.1; done
  echo $((SECONDS - start))
}
# Waits for the job to end; prints the seconds it took.
await_end() { # <job>
  local start=$SECONDS
  while job_running "$1"; do sleep 0.2; done
  echo $((SECONDS - start))
}
# What must hold once a job got its SIGTERM: <took> seconds to record the trial interrupted, and
# adam-lab's own last line in the log (it was not killed).
check_honoured() { # <what> <took> <log> <config>
  [[ $2 -le $honoured ]] || fail "$1: the trial was recorded interrupted only after ${2}s (more than ${honoured}s)"
  grep -q '^interrupted: .* run the same command again to finish$' "$3" || fail "$1: adam-lab did not end on its own: $(tail -2 "$3")"
  no_process_left "$4"
}
no_process_left() { # <config>
  if pgrep -f -- "$1" >/dev/null; then
    fail "processes of $1 are still running: $(pgrep -af -- "$1")"
  fi
}
submit() { # <config> [sbatch options...]
  local config=$1
  shift
  sbatch --parsable --array=1-1 --cpus-per-task=1 --output="$runs/slurm-%A_%a.out" "$@" examples/slurm/sweep.sbatch "$config" "$runs"
}

say "runs in $runs; Slurm: $(sinfo -h -o '%P %a %D %t' | head -1)"

# 1. scancel mid-trial
write_config "$runs/cancel.yaml" cancel 150
folder=$(sweep_folder "$runs/cancel.yaml")
job=$(submit "$runs/cancel.yaml")
say "1. scancel: job $job, sweep $folder"
if await_training "$folder" "$job"; then
  scancel "$job"
  took=$(await_interrupted "$folder")
  ended=$(await_end "$job")
  log="$runs/slurm-${job}_1.out"
  say "   trial interrupted ${took}s after scancel, job ended ${ended}s later; trials: $(statuses "$folder"); job log: $(grep -m1 SIGTERM "$log" || echo 'no SIGTERM line') … $(tail -1 "$log")"
  check_honoured scancel "$took" "$log" "$runs/cancel.yaml"
  if compgen -G "$folder/trials/*/steps.csv.partial" >/dev/null; then fail "a steps.csv.partial was left after scancel"; fi
else
  fail "job $job never started training"
fi

# 2. the time limit
write_config "$runs/limit.yaml" limit 5000
folder_limit=$(sweep_folder "$runs/limit.yaml")
job=$(submit "$runs/limit.yaml" --time=1)
say "2. time limit: job $job (--time=1), sweep $folder_limit"
if await_training "$folder_limit" "$job"; then
  log="$runs/slurm-${job}_1.out"
  while job_running "$job" && ! grep -q 'DUE TO TIME LIMIT' "$log" 2>/dev/null; do sleep 0.1; done
  took=$(await_interrupted "$folder_limit")
  ended=$(await_end "$job")
  say "   trial interrupted ${took}s after the time limit, job ended ${ended}s later; trials: $(statuses "$folder_limit"); job log: $(grep -m1 'TIME LIMIT' "$log") $(grep -m1 SIGTERM "$log" || echo 'no SIGTERM line') … $(tail -1 "$log")"
  check_honoured 'time limit' "$took" "$log" "$runs/limit.yaml"
else
  fail "job $job never started training"
fi

# 3. a rerun from another host name finishes the shard scancel interrupted
say "3. rerun of sweep 1 from host 'other-node' (unshare -u)"
set +e
unshare -u bash -c 'hostname other-node && exec "$@"' rerun "${adam_lab[@]}" sweep "$runs/cancel.yaml" --out "$runs" --jobs 2 --wait-held 0 -q >"$runs/rerun.out" 2>&1
code=$?
set -e
left=$(statuses "$folder")
say "   exit $code; trials: $left"
[[ $code -eq 0 ]] || fail "the rerun from another host exited $code: $(tail -3 "$runs/rerun.out")"
[[ $left == "completed completed " ]] || fail "the rerun from another host left the shard unfinished: $left"

# 4. a slice held by a live process on another host: waited for, then exit 1 with the count
write_config "$runs/held.yaml" held 5
folder_held=$(sweep_folder "$runs/held.yaml")
first=$("${adam_lab[@]}" sweep "$runs/held.yaml" --out "$runs" --dry-run | awk 'NR == 3 { print $2 }')
mkdir -p "$folder_held/trials"
printf '{"host":"other-node","pid":1}' >"$folder_held/trials/$first.claim.1"
say "4. a trial of the slice held by a live process on 'other-node'"
set +e
"${adam_lab[@]}" sweep "$runs/held.yaml" --out "$runs" --wait-held 5 >"$runs/held.out" 2>&1
code=$?
set -e
say "   exit $code; $(grep -m1 'waiting up to' "$runs/held.out"); $(tail -1 "$runs/held.out")"
[[ $code -eq 1 ]] || fail "a slice held elsewhere exited $code, not 1"

if [[ $failures -eq 0 ]]; then say "all passed"; else say "$failures failed"; fi
exit $((failures > 0))
