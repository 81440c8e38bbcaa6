#!/usr/bin/env bash
# `npm run test:cron`: on the local stack, triggers a sync through every path users have — a
# pg_cron tick, the SQL helper, the raw net.http_post snippet from the README, supabase-js
# functions.invoke, and curl — and prints one PASS/FAIL line per path with the run id and the
# HTTP status the function answered. Exits non-zero if any path fails.
set -uo pipefail
cd "$(dirname "$0")/.."

DB=postgresql://postgres:postgres@127.0.0.1:54322/postgres
GATEWAY=http://127.0.0.1:54321
JOB=sync-customer-sales
PRODUCTION_SCHEDULE='0 */6 * * *'
TICK_TIMEOUT_SECONDS=75
RESPONSE_TIMEOUT_SECONDS=60
failures=0

sql() { psql "$DB" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
report() { # report PATH OK RUN_ID STATUS [REASON]
  if [ "$2" = ok ]; then
    printf 'PASS  %-28s run=%s status=%s\n' "$1" "$3" "$4"
  else
    printf 'FAIL  %-28s run=%s status=%s %s\n' "$1" "${3:-?}" "${4:-?}" "${5:-}"
    failures=$((failures + 1))
  fi
}
# Waits for pg_net's response to request $1; prints "<status_code> <runId>".
await_response() {
  local deadline=$((SECONDS + RESPONSE_TIMEOUT_SECONDS)) row=""
  while [ $SECONDS -lt $deadline ]; do
    row=$(sql "select coalesce(status_code::text, 'none:' || coalesce(error_msg, '?')) || ' ' || coalesce((content::jsonb ->> 'runId'), '-')
                 from net._http_response where id = $1")
    [ -n "$row" ] && { echo "$row"; return 0; }
    sleep 1
  done
  echo "timeout -"
}
check_request() { # check_request PATH REQUEST_ID
  if [ -z "$2" ]; then report "$1" fail "" "" "(no request id)"; return; fi
  read -r code run < <(await_response "$2")
  if [ "$code" = 200 ]; then report "$1" ok "$run" "$code"; else report "$1" fail "$run" "$code"; fi
}

echo "preparing: npm start (stack, demo Ploomes simulator, function env, first sync)…"
if ! npm start >.local/test-cron-start.log 2>&1; then
  echo "FAIL  npm start (see .local/test-cron-start.log)"
  exit 1
fi
CRON_SECRET=$(grep '^CRON_SECRET=' .local/stack.env | cut -d= -f2-)

# 1. A real pg_cron tick: the job rescheduled to every minute, then put back. As postgres, which
#    (as on hosted Supabase) may only read cron.job: cron.alter_job, never a direct write.
before=$(sql "select coalesce(max(id), 0) from ploomes_sync.runs")
set_schedule() { sql "select cron.alter_job(jobid, schedule := '$1', active := true) from cron.job where jobname = '$JOB'" >/dev/null; }
set_schedule '* * * * *'
deadline=$((SECONDS + TICK_TIMEOUT_SECONDS)); run=""
while [ $SECONDS -lt $deadline ] && [ -z "$run" ]; do
  sleep 2
  run=$(sql "select id from ploomes_sync.runs where id > $before and trigger = 'cron' and status in ('succeeded', 'partial') order by id limit 1")
done
set_schedule "$PRODUCTION_SCHEDULE"
if [ -n "$run" ]; then
  # The run is recorded before the function answers; pg_net records the answer after that.
  deadline=$((SECONDS + RESPONSE_TIMEOUT_SECONDS)); code=""
  while [ $SECONDS -lt $deadline ] && [ -z "$code" ]; do
    code=$(sql "select status_code from net._http_response where content::jsonb ->> 'runId' = '$run'")
    [ -z "$code" ] && sleep 1
  done
  if [ "$code" = 200 ]; then report "pg_cron tick" ok "$run" "$code"; else report "pg_cron tick" fail "$run" "${code:-none}" "(no 200 in net._http_response)"; fi
else
  report "pg_cron tick" fail "" "" "(no cron run within ${TICK_TIMEOUT_SECONDS}s; see cron.job_run_details)"
fi

# 2. The SQL helper.
check_request "trigger_customer_sales_sync" "$(sql "select public.trigger_customer_sales_sync()")"

# 3. The raw net.http_post snippet, verbatim from the README.
snippet=$(awk '/<!-- snippet:net-http-post -->/{found=1; next} found && /```sql/{inside=1; next} inside && /```/{exit} inside{print}' README.md)
check_request "net.http_post (README)" "$(psql "$DB" -XAtq -c "$snippet")"

# 4. supabase-js functions.invoke.
invoke=$(npm run --silent invoke -- --json 2>/dev/null)
read -r code run < <(node -e 'const b = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(b.httpStatus, b.runId ?? "-")' <<<"$invoke" 2>/dev/null || echo "? -")
if [ "$code" = 200 ]; then report "supabase-js invoke" ok "$run" "$code"; else report "supabase-js invoke" fail "$run" "$code"; fi

# 5. curl.
body=$(curl -s -w '\n%{http_code}' -X POST "$GATEWAY/functions/v1/sync-customer-sales" \
  -H "x-cron-secret: $CRON_SECRET" -H 'content-type: application/json' -d '{"mode":"auto"}')
code=$(tail -n1 <<<"$body")
run=$(head -n -1 <<<"$body" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).runId ?? "-")' 2>/dev/null || echo "-")
if [ "$code" = 200 ]; then report "curl" ok "$run" "$code"; else report "curl" fail "$run" "$code"; fi

echo
if [ $failures -eq 0 ]; then echo "all trigger paths passed"; else echo "$failures trigger path(s) failed"; fi
exit $((failures > 0))
