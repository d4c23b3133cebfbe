#!/usr/bin/env bash
# Manual end-to-end check of the test FHIR server (the curl session recorded in README.md).
# Needs curl, jq, base64, openssl. Starts its own server on a free port and stops it again.
#   bash tests/fhir-server/verify.sh            # prints each check; exit 1 if any differs
set -euo pipefail
cd "$(dirname "$0")"
WORK=$(mktemp -d)
exec 3< <(tail -f /dev/null) # stdin for the server; closing it is not needed, we SIGTERM
node --experimental-websocket server.mjs --port 0 --exit-on-stdin-close <&3 >"$WORK/out" 2>"$WORK/err" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q '^LISTENING ' "$WORK/out" && break; sleep 0.1; done
B="http://127.0.0.1:$(awk '/^LISTENING/{print $2}' "$WORK/out")"
FAIL=0
uuid() { cat /proc/sys/kernel/random/uuid; }
check() { # label expected actual
  if [ "$2" = "$3" ]; then echo "ok    $1: $3"; else echo "FAIL  $1: expected $2, got $3"; FAIL=1; fi
}
post() { curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H 'Content-Type: application/fhir+json' "$@"; }

# --- a valid DocumentReference -----------------------------------------------------------
printf '%%PDF-1.4\n%% test\n%%%%EOF\n' >"$WORK/doc.pdf"
DATA=$(base64 -w0 "$WORK/doc.pdf"); SIZE=$(stat -c %s "$WORK/doc.pdf")
HASH=$(openssl dgst -sha1 -binary "$WORK/doc.pdf" | base64)
docref() { # identifier-uuid [status]
  jq -n --arg u "$1" --arg st "${2:-current}" --arg d "$DATA" --argjson sz "$SIZE" --arg h "$HASH" '{
    resourceType: "DocumentReference",
    identifier: [{system: "urn:ietf:rfc:3986", value: ("urn:uuid:" + $u)}],
    status: $st,
    type: {coding: [{system: "http://loinc.org", code: "18842-5", display: "Discharge summary"}]},
    subject: {identifier: {system: "urn:oid:1.2.392.100495.20.3.51.11311234567", value: "00012345"}},
    content: [{attachment: {contentType: "application/pdf", data: $d, size: $sz, hash: $h}}]}'
}
U=$(uuid)
docref "$U" >"$WORK/dr.json"
check "POST DocumentReference + If-None-Exist (new)" 201 \
  "$(post "$B/DocumentReference" -H "If-None-Exist: identifier=urn:ietf:rfc:3986|urn:uuid:$U" --data-binary @"$WORK/dr.json")"
ID=$(jq -r .id "$WORK/body")
check "same again (existing)" 200 \
  "$(post "$B/DocumentReference" -H "If-None-Exist: identifier=urn:ietf:rfc:3986|urn:uuid:$U" --data-binary @"$WORK/dr.json")"
check "same id returned" "$ID" "$(jq -r .id "$WORK/body")"
check "_stats" '{"DocumentReference":1}' "$(curl -s "$B/_stats" | jq -c .counts)"

# --- invalid resources ---------------------------------------------------------------------
check "status bogus -> 400 (fhir.js)" 400 "$(docref "$(uuid)" bogus | post "$B/DocumentReference" --data-binary @-)"
check "no content -> 400 (medplum)" 400 "$(docref "$(uuid)" | jq 'del(.content)' | post "$B/DocumentReference" --data-binary @-)"
check "unknown property -> 400" 400 "$(docref "$(uuid)" | jq '.foo=1' | post "$B/DocumentReference" --data-binary @-)"
check "body is OperationOutcome" OperationOutcome "$(jq -r .resourceType "$WORK/body")"
check "_stats unchanged" '{"DocumentReference":1}' "$(curl -s "$B/_stats" | jq -c .counts)"

# --- 412 on multiple matches -----------------------------------------------------------------
M=$(uuid)
docref "$M" | post "$B/DocumentReference" --data-binary @- >/dev/null
docref "$M" | post "$B/DocumentReference" --data-binary @- >/dev/null
check "If-None-Exist with 2 matches -> 412" 412 \
  "$(docref "$M" | post "$B/DocumentReference" -H "If-None-Exist: identifier=urn:ietf:rfc:3986|urn:uuid:$M" --data-binary @-)"

# --- batch: one valid + one invalid entry, both with ifNoneExist --------------------------
A=$(uuid); Z=$(uuid)
jq -n --argjson good "$(docref "$A")" --argjson bad "$(docref "$Z" bogus)" --arg a "$A" --arg z "$Z" \
  --arg f1 "$(uuid)" --arg f2 "$(uuid)" '{resourceType: "Bundle", type: "batch", entry: [
    {fullUrl: ("urn:uuid:" + $f1), resource: $good,
     request: {method: "POST", url: "DocumentReference", ifNoneExist: ("identifier=urn:ietf:rfc:3986|urn:uuid:" + $a)}},
    {fullUrl: ("urn:uuid:" + $f2), resource: $bad,
     request: {method: "POST", url: "DocumentReference", ifNoneExist: ("identifier=urn:ietf:rfc:3986|urn:uuid:" + $z)}}]}' \
  >"$WORK/batch.json"
check "batch HTTP status" 200 "$(post "$B/" --data-binary @"$WORK/batch.json")"
check "batch entry statuses (1st run)" '["201","400"]' "$(jq -c '[.entry[].response.status]' "$WORK/body")"
post "$B/" --data-binary @"$WORK/batch.json" >/dev/null
check "batch entry statuses (2nd run)" '["200","400"]' "$(jq -c '[.entry[].response.status]' "$WORK/body")"

# --- transaction with one invalid entry: nothing stored -----------------------------------
T=$(uuid)
jq --arg t "$T" '.type = "transaction" | .entry[0].resource.identifier[0].value = ("urn:uuid:" + $t)
  | .entry[0].request.ifNoneExist = ("identifier=urn:ietf:rfc:3986|urn:uuid:" + $t)' "$WORK/batch.json" >"$WORK/tx.json"
check "transaction with invalid entry -> 400" 400 "$(post "$B/" --data-binary @"$WORK/tx.json")"
check "... and its valid entry was rolled back" 0 \
  "$(curl -s "$B/DocumentReference?identifier=urn:ietf:rfc:3986|urn:uuid:$T" | jq .total)"

# --- PATCH ------------------------------------------------------------------------------
check "PATCH (JSON Patch)" 200 "$(curl -s -o "$WORK/body" -w '%{http_code}' -X PATCH "$B/DocumentReference/$ID" \
  -H 'Content-Type: application/json-patch+json' --data '[{"op":"add","path":"/description","value":"p1"}]')"
check "PATCH to an invalid result -> 400" 400 "$(curl -s -o "$WORK/body" -w '%{http_code}' -X PATCH "$B/DocumentReference/$ID" \
  -H 'Content-Type: application/json-patch+json' --data '[{"op":"remove","path":"/content"}]')"
P64=$(printf '[{"op":"replace","path":"/description","value":"p2"}]' | base64 -w0)
jq -n --arg id "$ID" --arg d "$P64" --arg u "$U" '{resourceType: "Bundle", type: "batch", entry: [
  {resource: {resourceType: "Binary", contentType: "application/json-patch+json", data: $d},
   request: {method: "PATCH", url: ("DocumentReference/" + $id)}},
  {resource: {resourceType: "Binary", contentType: "application/json-patch+json", data: $d},
   request: {method: "PATCH", url: ("DocumentReference?identifier=urn:ietf:rfc:3986|urn:uuid:" + $u)}}]}' >"$WORK/bp.json"
post "$B/" --data-binary @"$WORK/bp.json" >/dev/null
check "PATCH in batch (by id, conditional)" '["200","200"]' "$(jq -c '[.entry[].response.status]' "$WORK/body")"
check "patched value" p2 "$(curl -s "$B/DocumentReference/$ID" | jq -r .description)"

# --- conditional update --------------------------------------------------------------------
cput() { curl -s -o "$WORK/body" -w '%{http_code}' -X PUT -H 'Content-Type: application/fhir+json' "$@"; }
check "PUT DocumentReference?identifier= (1 match)" 200 \
  "$(docref "$U" | jq '.description="cput"' | cput "$B/DocumentReference?identifier=urn:ietf:rfc:3986|urn:uuid:$U" --data-binary @-)"
check "... updated the same resource" "$ID" "$(jq -r .id "$WORK/body")"
N=$(uuid)
check "PUT DocumentReference?identifier= (no match -> create)" 201 \
  "$(docref "$N" | cput "$B/DocumentReference?identifier=urn:ietf:rfc:3986|urn:uuid:$N" --data-binary @-)"
check "PUT DocumentReference?identifier= (2 matches)" 412 \
  "$(docref "$M" | cput "$B/DocumentReference?identifier=urn:ietf:rfc:3986|urn:uuid:$M" --data-binary @-)"
N2=$(uuid)
jq -n --argjson r1 "$(docref "$U" | jq '.description="cput-batch"')" --argjson r2 "$(docref "$N2")" \
  --argjson r3 "$(docref "$U" bogus)" --arg u "$U" --arg n "$N2" '{resourceType: "Bundle", type: "batch", entry: [
  {resource: $r1, request: {method: "PUT", url: ("DocumentReference?identifier=urn:ietf:rfc:3986|urn:uuid:" + $u)}},
  {resource: $r2, request: {method: "PUT", url: ("DocumentReference?identifier=urn:ietf:rfc:3986|urn:uuid:" + $n)}},
  {resource: $r3, request: {method: "PUT", url: ("DocumentReference?identifier=urn:ietf:rfc:3986|urn:uuid:" + $u)}}]}' \
  >"$WORK/bput.json"
post "$B/" --data-binary @"$WORK/bput.json" >/dev/null
check "conditional PUT in batch (match, create, invalid)" '["200","201","400"]' "$(jq -c '[.entry[].response.status]' "$WORK/body")"
post "$B/" --data-binary @"$WORK/bput.json" >/dev/null
check "... again" '["200","200","400"]' "$(jq -c '[.entry[].response.status]' "$WORK/body")"

# --- document Bundle, conditional create on Bundle.identifier --------------------------------
D=$(uuid); C=$(uuid); P=$(uuid)
jq -n --arg d "$D" --arg c "$C" --arg p "$P" '{resourceType: "Bundle", type: "document",
  identifier: {system: "urn:ietf:rfc:3986", value: ("urn:uuid:" + $d)}, timestamp: "2026-01-01T10:00:00+09:00",
  entry: [
    {fullUrl: ("urn:uuid:" + $c), resource: {resourceType: "Composition", status: "final",
      type: {coding: [{system: "http://loinc.org", code: "18842-5"}]}, subject: {reference: ("urn:uuid:" + $p)},
      date: "2026-01-01T10:00:00+09:00", author: [{display: "Dr. Test"}], title: "Discharge summary"}},
    {fullUrl: ("urn:uuid:" + $p), resource: {resourceType: "Patient", name: [{text: "Test Patient"}]}}]}' >"$WORK/doc.json"
check "POST /Bundle document + If-None-Exist (new)" 201 \
  "$(post "$B/Bundle" -H "If-None-Exist: identifier=urn:ietf:rfc:3986|urn:uuid:$D" --data-binary @"$WORK/doc.json")"
check "stored unchanged (urn:uuid refs kept)" "urn:uuid:$P" "$(jq -r '.entry[0].resource.subject.reference' "$WORK/body")"
check "same again (existing)" 200 \
  "$(post "$B/Bundle" -H "If-None-Exist: identifier=urn:ietf:rfc:3986|urn:uuid:$D" --data-binary @"$WORK/doc.json")"
check "document without identifier -> 400 (bdl-9)" 400 "$(jq 'del(.identifier)' "$WORK/doc.json" | post "$B/Bundle" --data-binary @-)"
check "_stats Bundle" 1 "$(curl -s "$B/_stats" | jq .counts.Bundle)"
check "_dump/Bundle" 1 "$(curl -s "$B/_dump/Bundle" | jq length)"
check "GET /metadata" CapabilityStatement "$(curl -s "$B/metadata" | jq -r .resourceType)"

# --- validate.mjs over the stored resources -------------------------------------------------
curl -s "$B/_dump/DocumentReference" | jq -c '.[]' >"$WORK/all.ndjson"
curl -s "$B/_dump/Bundle" | jq -c '.[]' >>"$WORK/all.ndjson"
if node validate.mjs "$WORK/all.ndjson" >"$WORK/v.out"; then V=0; else V=$?; fi
check "validate.mjs on everything stored" 0 "$V"
docref "$(uuid)" | jq -c '.content[0].attachment.size = 1' >"$WORK/bad.ndjson"
if node validate.mjs "$WORK/bad.ndjson" >"$WORK/v.out"; then V=0; else V=$?; fi
check "validate.mjs catches a wrong attachment.size" 1 "$V"

echo "server stats: $(curl -s "$B/_stats")"
exit $FAIL
