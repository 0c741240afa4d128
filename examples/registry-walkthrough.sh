#!/usr/bin/env bash
# The distillation registry, end to end, against a running `distillgov registry serve`:
# register a protected model, file a notice and read its classification, obtain the compulsory
# license, report usage, pay the levy, watch a safe harbor lapse when its disclosure is missed,
# export the student's ML-BOM, and verify every log entry those steps wrote offline.
#
# The regime runs on dates (report periods, a 30-day disclosure deadline), and the registry reads
# the system clock. The service has no clock override, so the walk-through moves time the way one
# moves any program's clock: libfaketime (Debian package `faketime`) with a timestamp file that the
# server and this script share. Start the server like this, then run this script:
#
#   export REGISTRY_CLOCK_FILE=/tmp/distillgov-walk.clock
#   export DISTILLGOV_REGISTRY_DB=sqlite:////tmp/distillgov-walk.sqlite3
#   echo "2026-01-15 12:00:00" > "$REGISTRY_CLOCK_FILE"
#   FAKETIME_TIMESTAMP_FILE=$REGISTRY_CLOCK_FILE FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
#     LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 distillgov registry serve &
#   examples/registry-walkthrough.sh
#
# Environment: REGISTRY_URL (default http://127.0.0.1:8000), DISTILLGOV_REGISTRY_DB (the database
# the server uses; default: the CLI's own default), REGISTRY_CLOCK_FILE (required, see above),
# FAKETIME_LIB (default the Debian path above), REGISTRY_VKEY (the log's verifier key as printed by
# `distillgov registry init-db`; default: the key the server serves at /log/vkey), WORK_DIR (where
# the saved log and ML-BOM go; default a new temporary folder). Use a fresh database: the dates
# below start in January 2026. Lines starting `walkthrough-result:` are JSON, for scripts.
set -euo pipefail

REGISTRY_URL=${REGISTRY_URL:-http://127.0.0.1:8000}
FAKETIME_LIB=${FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}
WORK_DIR=${WORK_DIR:-$(mktemp -d)}
DISTILLGOV=${DISTILLGOV:-distillgov}
: "${REGISTRY_CLOCK_FILE:?set REGISTRY_CLOCK_FILE to the libfaketime timestamp file the server reads (see the header)}"
[[ -f $FAKETIME_LIB ]] || { echo "libfaketime not found at $FAKETIME_LIB (apt-get install faketime)" >&2; exit 2; }
mkdir -p "$WORK_DIR"
LOGGED="$WORK_DIR/logged-entries.tsv"
: >"$LOGGED"

step() { printf '\n==> %s\n' "$*"; }
result() { printf 'walkthrough-result: %s\n' "$1"; }

set_date() {  # Move the shared clock (server and admin commands) to noon UTC of a day.
  step "the clock moves to $1"
  echo "$1 12:00:00" >"$REGISTRY_CLOCK_FILE"
}

admin() {  # `distillgov registry admin ...` on the server's clock.
  FAKETIME_TIMESTAMP_FILE=$REGISTRY_CLOCK_FILE FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
    LD_PRELOAD=$FAKETIME_LIB "$DISTILLGOV" registry admin "$@"
}

get() {  # get JSON_PATH: read one field (dotted path, list indices as numbers) of the JSON on stdin.
  python3 -c '
import json, sys
value = json.load(sys.stdin)
for key in filter(None, sys.argv[1].split(".")):
    value = value[int(key)] if isinstance(value, list) else value[key]
print(value if isinstance(value, (str, int, float)) else json.dumps(value))' "$1"
}

http() {  # http METHOD PATH [TOKEN] [BODY]: the response body; a problem response stops the script.
  local method=$1 path=$2 token=${3:-} body=${4:-}
  local args=(-sS --fail-with-body -X "$method" "$REGISTRY_URL$path" -H "Accept: application/json")
  [[ -n $token ]] && args+=(-H "Authorization: Bearer $token")
  if [[ $method == POST ]]; then
    args+=(-H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" -H "Content-Type: application/json")
    args+=(--data "${body:-{\}}")
  fi
  curl "${args[@]}"
}

write() {  # write PATH TOKEN [BODY]: POST, remember the log entries it wrote, print its result.
  local answer
  answer=$(http POST "$1" "$2" "${3:-}")
  python3 -c '
import json, sys
answer = json.loads(sys.argv[1])
with open(sys.argv[2], "a") as out:
    for ref in answer["log_entries"]:
        out.write("%d\t%s\n" % (ref["index"], ref["kind"]))
print(json.dumps(answer["result"]))' "$answer" "$LOGGED"
}

sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

RUN=$(cut -c1-8 /proc/sys/kernel/random/uuid)
TEACHER="Frontier-$RUN"
STUDENT="Clone-$RUN"
STUDY="Study-$RUN"

set_date 2026-01-15
step "the server at $REGISTRY_URL is up"
http GET /healthz | python3 -m json.tool

step "the operator creates the registry office and its administrator's token (admin CLI)"
OFFICE=$(admin create-org "Registry Office $RUN" | get id)
ADMIN_USER=$(admin create-user "administrator $RUN" --org "$OFFICE" --role administrator | get id)
ADMIN=$(admin token "$ADMIN_USER" --label walkthrough | get token)

step "the administrator signs up three parties through the API: an organization, a user, a token each"
user_token() {  # user_token ORG_NAME ROLE: a new organization with one user of ROLE; prints the token.
  local org user
  org=$(http POST /v1/admin/organizations "$ADMIN" "{\"name\": \"$1 $RUN\"}" | get result.id)
  user=$(http POST /v1/admin/users "$ADMIN" \
    "{\"organization_id\": $org, \"name\": \"$2 of $1 $RUN\", \"role\": \"$2\"}" | get result.id)
  http POST /v1/admin/tokens "$ADMIN" "{\"user_id\": $user, \"label\": \"walkthrough\"}" | get result.token
}
OWNER=$(user_token "Frontier Lab" teacher_owner)
CLONER=$(user_token "CloneCorp" distiller)
LAB=$(user_token "University Lab" distiller)
http GET /log/checkpoint >"$WORK_DIR/first-checkpoint"

step "1. Frontier Lab registers its protected API model $TEACHER"
MODEL=$(write /v1/models "$OWNER" "$(cat <<JSON
{"name": "$TEACHER", "access_mode": "api", "release_date": "2025-06-01", "api_model_id": "${TEACHER,,}",
 "weights_files": [{"path": "model-00001.safetensors", "sha256": "$(sha256 "shard1$TEACHER")"},
                   {"path": "model-00002.safetensors", "sha256": "$(sha256 "shard2$TEACHER")"}],
 "trade_secret": {"investment": {"amount_minor": 200000000000, "currency": "USD", "description": "training compute"},
                  "secrecy_measures": ["access_controls", "weights_not_released", "rate_limits", "monitoring"],
                  "weights_protected": true,
                  "terms_of_service": [{"title": "Terms of Use", "effective_date": "2024-01-31",
                                        "clause_id": "openai_terms_of_use_2024_competing"}]}}
JSON
)")
MODEL_ID=$(get id <<<"$MODEL")
MODEL_DIGEST=$(get weights_digest <<<"$MODEL")
echo "protected model $MODEL_ID, weights digest $MODEL_DIGEST"

conduct() {  # conduct ACCOUNTS CAPABILITY_MULTIPLE COMPETES CLONES: the law-vocabulary facts of an API distillation.
  cat <<JSON
{"distiller": {"relationship": "unrelated", "agreed_to_tos": true, "authorization": "none"},
 "conduct": {"method": "api_queries", "accounts": $1, "fraudulent_accounts": 0,
             "circumvented_access_controls": false, "misrepresentation": false, "duration_days": 30,
             "human_capability_multiple": $2, "outputs_used_for": "training",
             "student_competes_with_teacher": $3, "direct_clone_of_weights": $4,
             "used_former_employer_methodology": false},
 "obligations": {"transparency_disclosure": "filed", "privacy_safeguards": true, "safety_evaluation": true},
 "downstream": {"is_downstream_user": false}}
JSON
}

step "2. CloneCorp files a notice for its commercial student $STUDENT; the registry classifies it"
NOTICE=$(write /v1/notices "$CLONER" "$(cat <<JSON
{"teacher_model_id": $MODEL_ID, "purpose": "commercial", "commercial": true, "expected_volume": 5000000,
 "student": {"name": "$STUDENT", "weights_digest": "sha256:$(sha256 "$STUDENT")"},
 "facts": $(conduct 50 3000 true true)}
JSON
)")
NOTICE_ID=$(get id <<<"$NOTICE")
python3 -c 'import json, sys; n = json.loads(sys.argv[1]); print(json.dumps({"step": "classification",
  "notice": n["id"], "classification": n["classification"], "compulsory_license": n["compulsory_license"]}))' \
  "$NOTICE" | while read -r line; do result "$line"; done

step "3. CloneCorp requests the compulsory license; the registry office issues it"
LICENSE_ID=$(write /v1/licenses "$CLONER" "{\"notice_id\": $NOTICE_ID}" | get id)
LICENSE=$(write "/v1/licenses/$LICENSE_ID/approve" "$ADMIN")
python3 -c 'import json, sys; l = json.loads(sys.argv[1]); print(json.dumps({"step": "license", "license": l["id"],
  "status": l["status"], "expires_on": l["expires_on"], "levy_rate": l["terms"]["levy_rate"],
  "unsourced_parameters": l["unsourced_parameters"]}))' "$LICENSE" | while read -r line; do result "$line"; done

set_date 2026-02-03
step "4. January has ended: CloneCorp reports its usage (USD 12,345.67 of levy base) and pays the levy"
REPORT=$(write "/v1/licenses/$LICENSE_ID/reports" "$CLONER" \
  '{"period": "2026-01", "base_amount_minor": 1234567, "currency": "USD"}')
LEVY=$(get levy_minor <<<"$REPORT")
echo "levy assessed: $LEVY minor units"
write "/v1/licenses/$LICENSE_ID/payments" "$CLONER" \
  "{\"amount_minor\": $LEVY, \"currency\": \"USD\", \"reference\": \"wire 1\"}" >/dev/null
http GET "/v1/licenses/$LICENSE_ID/ledger" "$CLONER" | python3 -c 'import json, sys; l = json.load(sys.stdin)
print(json.dumps({"step": "ledger", "levy_minor": int(sys.argv[1]), "balance_minor": l["balance_minor"],
  "overdue_minor": l["overdue_minor"]}))' "$LEVY" | while read -r line; do result "$line"; done

step "5. University Lab files a research notice, claims a safe harbor, attests privacy and safety"
STUDY_ID=$(write /v1/notices "$LAB" "$(cat <<JSON
{"teacher_model_id": $MODEL_ID, "purpose": "non_commercial_research", "commercial": false,
 "expected_volume": 50000, "student": {"name": "$STUDY", "weights_digest": "sha256:$(sha256 "$STUDY")"},
 "facts": $(conduct 3 20 false false)}
JSON
)" | get id)
CLAIM_ID=$(write /v1/claims "$LAB" "{\"notice_id\": $STUDY_ID, \"harbor\": \"non_commercial_research\"}" | get id)
for kind in privacy safety; do
  write "/v1/claims/$CLAIM_ID/conditions/$kind" "$LAB" "{\"statement\": \"$kind attested\"}" >/dev/null
done
echo "claim $CLAIM_ID: transparency disclosure due 30 days after the claim, and never filed"

set_date 2026-03-10
step "   the operator runs the daily sweep (admin CLI): the disclosure is overdue"
admin sweep | tee "$WORK_DIR/sweep.json"
http GET "/v1/claims/$CLAIM_ID" | python3 -c 'import json, sys; c = json.load(sys.stdin)
swept = json.load(open(sys.argv[2]))
print(json.dumps({"step": "lapse", "claim": c["id"], "swept_lapsed": swept["lapsed"], "status": c["status"],
  "immunity_before": c["lapse"]["immunity_before"], "immunity_after": c["lapse"]["immunity_after"],
  "unmet_conditions": c["lapse"]["unmet_conditions"]}))' "$CLAIM_ID" "$WORK_DIR/sweep.json" \
  | while read -r line; do result "$line"; done

http GET "/v1/claims/$CLAIM_ID/history" | python3 -c 'import json, sys
for entry in json.load(sys.stdin):
    if entry["kind"] == "lapse":
        print("%d\tlapse" % entry["log_index"])' >>"$LOGGED"

step "6. A downstream company looks $STUDENT up by digest and exports its ML-BOM"
http GET "/v1/provenance?digest=sha256:$(sha256 "$STUDENT")" | python3 -c 'import json, sys
for found in json.load(sys.stdin):
    print("lineage:", json.dumps({"notice": found["notice"]["id"], "license": found["license"]["status"]}))'
http GET "/v1/provenance/$NOTICE_ID/mlbom" >"$WORK_DIR/mlbom.json"
python3 -c 'import json, sys; b = json.load(open(sys.argv[1])); s = b["metadata"]["component"]
a = s["pedigree"]["ancestors"][0]
print(json.dumps({"step": "mlbom", "file": sys.argv[1], "bomFormat": b["bomFormat"], "specVersion": b["specVersion"],
  "student": s["name"], "teacher": a["name"], "teacher_hash": a["hashes"][0]["content"]}))' "$WORK_DIR/mlbom.json" \
  | while read -r line; do result "$line"; done

step "7. Save a verified copy of the log, then verify every entry the walk-through wrote, offline"
VKEY=${REGISTRY_VKEY:-$(http GET /log/vkey)}
echo "log verifier key: $VKEY"
"$DISTILLGOV" registry verify save "$REGISTRY_URL/log" "$WORK_DIR/log" --vkey "$VKEY" --json >/dev/null
while IFS=$'\t' read -r index kind; do
  http GET "/v1/log/entries/$index" | get entry >"$WORK_DIR/entry-$index"
  truncate -s -1 "$WORK_DIR/entry-$index"  # `get` printed a newline after the entry's exact bytes
  "$DISTILLGOV" registry verify inclusion "$WORK_DIR/log" --vkey "$VKEY" --index "$index" \
    --entry "$WORK_DIR/entry-$index" --json >"$WORK_DIR/verify-$index.json"
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
print(json.dumps({"step": "verified", "index": int(sys.argv[2]), "kind": sys.argv[3], "ok": r["ok"],
  "logged_kind": r["entry"]["kind"]}))' "$WORK_DIR/verify-$index.json" "$index" "$kind" \
    | while read -r line; do result "$line"; done
done <"$LOGGED"
"$DISTILLGOV" registry verify consistency "$WORK_DIR/log" --vkey "$VKEY" --old "$WORK_DIR/first-checkpoint"

step "done: the saved log, the ML-BOM and every verification are in $WORK_DIR"
